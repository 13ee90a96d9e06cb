using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Jobs;

public sealed class JobQueueTests : JobsTest
{
    [Fact]
    public async Task The_same_idempotency_key_makes_one_job_even_when_enqueued_concurrently()
    {
        var key = "order-42-follow-up";
        var jobs = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() =>
            F.EnqueueAsync(JobsAppFactory.Record, new { i }, new EnqueueOptions { IdempotencyKey = key }))));

        Assert.Single(jobs.Select(j => j.Id).Distinct());
        Assert.Equal(1, await F.WithDb(db => db.Jobs.CountAsync(j => j.IdempotencyKey == key)));
        var again = await F.EnqueueAsync(JobsAppFactory.Record, new { i = 99 }, new EnqueueOptions { IdempotencyKey = key });
        Assert.Equal(jobs[0].Id, again.Id);
    }

    [Fact]
    public async Task An_enqueue_rolls_back_with_its_callers_transaction_and_commits_with_it()
    {
        await using (var scope = F.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
            var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
            await using var tx = await db.Database.BeginTransactionAsync();
            db.Users.Add(NewUser("rolled-back"));
            queue.Enqueue(JobsAppFactory.Record, new { }, new EnqueueOptions { IdempotencyKey = "rolled-back" });
            await db.SaveChangesAsync();
            await tx.RollbackAsync();
        }
        Assert.False(await F.WithDb(db => db.Jobs.AnyAsync(j => j.IdempotencyKey == "rolled-back")));
        Assert.False(await F.WithDb(db => db.Users.AnyAsync(u => u.ExternalId == "rolled-back")));

        // A failing SaveChanges (here the second job's key is taken) writes neither the sale nor its follow-up.
        await F.EnqueueAsync(JobsAppFactory.Record, new { }, new EnqueueOptions { IdempotencyKey = "taken" });
        await using (var scope = F.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
            var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
            db.Users.Add(NewUser("failed-save"));
            queue.Enqueue(JobsAppFactory.Record, new { }, new EnqueueOptions { IdempotencyKey = "failed-save" });
            queue.Enqueue(JobsAppFactory.Record, new { }, new EnqueueOptions { IdempotencyKey = "taken" });
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        }
        Assert.False(await F.WithDb(db => db.Jobs.AnyAsync(j => j.IdempotencyKey == "failed-save")));
        Assert.False(await F.WithDb(db => db.Users.AnyAsync(u => u.ExternalId == "failed-save")));

        await using (var scope = F.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
            var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
            await using var tx = await db.Database.BeginTransactionAsync();
            db.Users.Add(NewUser("committed"));
            queue.Enqueue(JobsAppFactory.Record, new { }, new EnqueueOptions { IdempotencyKey = "committed" });
            await db.SaveChangesAsync();
            await tx.CommitAsync();
        }
        Assert.True(await F.WithDb(db => db.Jobs.AnyAsync(j => j.IdempotencyKey == "committed")));
        Assert.True(await F.WithDb(db => db.Users.AnyAsync(u => u.ExternalId == "committed")));
    }

    [Fact]
    public async Task Workers_are_woken_when_the_enqueueing_transaction_commits_not_when_it_saves()
    {
        var signal = F.Services.GetRequiredService<JobSignal>();
        long id;
        await using (var scope = F.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
            var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
            await using var tx = await db.Database.BeginTransactionAsync();
            var woken = signal.WaitAsync();
            var job = queue.Enqueue(JobsAppFactory.Record, new { n = 1 });
            await db.SaveChangesAsync();
            id = job.Id;
            // Saved inside the open transaction: other connections cannot see it, so waking a worker now would be early.
            Assert.False(woken.IsCompleted);
            Assert.False(await F.WithDb(d => d.Jobs.AnyAsync(j => j.Id == id)));
            await tx.CommitAsync();
            Assert.True(woken.IsCompleted);
        }
        var run = await F.Runner.RunOnceAsync("w", CancellationToken.None);
        Assert.Equal((id, JobOutcome.Completed), (run!.JobId, run.Outcome));

        // Rolled back: no wake-up, now or at the context's next commit.
        await using (var scope = F.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
            var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
            var woken = signal.WaitAsync();
            await using (var tx = await db.Database.BeginTransactionAsync())
            {
                queue.Enqueue(JobsAppFactory.Record, new { n = 2 });
                await db.SaveChangesAsync();
                await tx.RollbackAsync();
            }
            db.ChangeTracker.Clear();
            await using (var tx = await db.Database.BeginTransactionAsync())
            {
                db.Users.Add(NewUser("after-rollback"));
                await db.SaveChangesAsync();
                await tx.CommitAsync();
            }
            Assert.False(woken.IsCompleted);

            // Without an explicit transaction SaveChanges commits at once, and wakes at once.
            queue.Enqueue(JobsAppFactory.Record, new { n = 3 });
            await db.SaveChangesAsync();
            Assert.True(woken.IsCompleted);
        }
    }

    [Fact]
    public async Task Queue_position_is_the_place_among_waiting_jobs_of_the_same_type()
    {
        const string type = "test.unhandled-line"; // no handler here, so nothing runs them
        var first = await F.EnqueueAsync(type, new { n = 1 });
        var second = await F.EnqueueAsync(type, new { n = 2 });
        await F.EnqueueAsync("test.other-line", new { n = 0 });
        var third = await F.EnqueueAsync(type, new { n = 3 });
        var urgent = await F.EnqueueAsync(type, new { n = 4 }, new EnqueueOptions { Priority = 10 });

        async Task<int?> Position(long id)
        {
            await using var scope = F.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<JobQueue>().GetPositionAsync(id, CancellationToken.None);
        }

        Assert.Equal(1, await Position(urgent.Id));
        Assert.Equal(2, await Position(first.Id));
        Assert.Equal(3, await Position(second.Id));
        Assert.Equal(4, await Position(third.Id));

        await F.WithDb(db => db.Jobs.Where(j => j.Id == first.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Processing)));
        Assert.Null(await Position(first.Id));
        Assert.Equal(2, await Position(second.Id));
        Assert.Equal(3, await Position(third.Id));
        Assert.Null(await Position(987654));
    }

    [Fact]
    public async Task Unknown_job_types_and_bad_type_names_are_refused()
    {
        await using var scope = F.Services.CreateAsyncScope();
        var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
        Assert.Throws<ArgumentException>(() => queue.Enqueue("Bad Type", new { }));
        Assert.Throws<ArgumentException>(() => queue.Enqueue("a:b", new { }));
    }

    private static ChatUser NewUser(string externalId) => new()
    {
        Channel = "telegram", ExternalId = externalId, FirstName = "T", LanguageCode = "en",
    };
}
