using Bazaar.Server.Conversations;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Conversations;

/// <summary>Two instances on one database: one stores updates (its processor off), the other works them off and stops.</summary>
public sealed class ProcessorShutdownTests
{
    [Fact]
    public async Task Stopping_finishes_the_update_in_flight_and_hands_the_rest_of_its_batch_back_at_once()
    {
        await using var db = await TestDatabase.CreateAsync();
        var front = (BotAppFactory)new BotAppFactory().OnDatabase(db);
        BotAppFactory? worker = null;
        try
        {
            await front.InitializeAsync();
            // Stored, not handled: one update that will be in flight when the stop comes, then five behind it (other chats).
            var holder = Updates.NewUserId();
            await front.Post(Updates.Text(holder, "/hold"));
            var users = Enumerable.Range(0, 5).Select(_ => Updates.NewUserId()).ToList();
            foreach (var u in users) await front.Post(Updates.Text(u, "/echo waiting"));

            worker = (BotAppFactory)new BotAppFactory().OnDatabase(db)
                .With("Conversations:Processor:Enabled", "true")
                .With("Conversations:Processor:Workers", "1");
            await worker.InitializeAsync();
            // The worker claimed all six in one batch and is handling /hold, the first.
            await worker.Switch.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var claimed = await front.WithDb(d => d.InboundUpdates.AsNoTracking()
                .Where(u => users.Select(x => x.ToString()).Contains(u.UserId!)).ToListAsync());
            Assert.All(claimed, u => Assert.Equal(UpdateStatus.Processing, u.Status));

            // The host stops the processor (as on SIGTERM); the handler in flight is let finish.
            var stopping = worker.Processor.StopAsync(CancellationToken.None);
            Assert.False(stopping.IsCompleted);
            worker.Switch.Release.SetResult();
            await stopping.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(["held"], await front.TextsFor(holder));
            Assert.Equal(UpdateStatus.Processed, (await front.WithDb(d => d.InboundUpdates.AsNoTracking().SingleAsync(u => u.UserId == holder.ToString()))).Status);
            var handedBack = await front.WithDb(d => d.InboundUpdates.AsNoTracking()
                .Where(u => users.Select(x => x.ToString()).Contains(u.UserId!)).ToListAsync());
            Assert.All(handedBack, u =>
            {
                Assert.Equal(UpdateStatus.Received, u.Status);
                Assert.Null(u.LeaseUntil);
                Assert.Equal(0, u.Attempts); // the attempt that never started is not counted
            });

            // The other instance takes them at once: the clock has not moved, no lease had to run out.
            Assert.Equal(5, await front.ProcessAll());
            foreach (var u in users) Assert.Equal(["echo:waiting"], await front.TextsFor(u));
            Assert.Equal(["held"], await front.TextsFor(holder));
            var all = await front.WithDb(d => d.InboundUpdates.AsNoTracking()
                .Where(u => users.Select(x => x.ToString()).Contains(u.UserId!)).ToListAsync());
            Assert.All(all, u => { Assert.Equal(UpdateStatus.Processed, u.Status); Assert.Equal(1, u.Attempts); });
        }
        finally
        {
            if (worker is not null) await ((IAsyncLifetime)worker).DisposeAsync();
            await ((IAsyncLifetime)front).DisposeAsync();
        }
    }
}
