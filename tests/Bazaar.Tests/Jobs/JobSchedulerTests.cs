using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Jobs;

public sealed class JobSchedulerTests : JobsTest
{
    private Task<List<Job>> TickJobs() => F.WithDb(db => db.Jobs.AsNoTracking()
        .Where(j => j.IdempotencyKey!.StartsWith("recurring:test.every-minute:")).OrderBy(j => j.Id).ToListAsync());

    [Fact]
    public async Task A_recurring_job_fires_once_per_period_with_two_schedulers_racing()
    {
        var a = F.Services.GetRequiredService<JobScheduler>();
        var b = ActivatorUtilities.CreateInstance<JobScheduler>(F.Services); // another process
        await Task.WhenAll(a.RunOnceAsync(CancellationToken.None), b.RunOnceAsync(CancellationToken.None));
        Assert.Empty(await TickJobs()); // registered, first fire one minute from now

        for (var period = 1; period <= 5; period++)
        {
            F.Clock.Advance(TimeSpan.FromMinutes(1));
            var fired = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
                Task.Run(() => (i % 2 == 0 ? a : b).RunOnceAsync(CancellationToken.None))));
            Assert.Equal(period, (await TickJobs()).Count);
            Assert.True(fired.Sum() >= 1);
        }

        var jobs = await TickJobs();
        Assert.All(jobs, j => Assert.Equal("""{"tick":true}""", j.Payload));
        Assert.Equal(JobsAppFactory.Record, jobs[0].Type);
    }

    [Fact]
    public async Task After_downtime_a_schedule_fires_once_not_once_per_missed_period()
    {
        var a = F.Services.GetRequiredService<JobScheduler>();
        var b = ActivatorUtilities.CreateInstance<JobScheduler>(F.Services);
        await a.RunOnceAsync(CancellationToken.None);

        F.Clock.Advance(TimeSpan.FromHours(3)); // 180 periods missed
        await Task.WhenAll(a.RunOnceAsync(CancellationToken.None), b.RunOnceAsync(CancellationToken.None));
        await a.RunOnceAsync(CancellationToken.None);
        Assert.Single(await TickJobs());

        var row = await F.WithDb(db => db.RecurringSchedules.SingleAsync(s => s.Name == "test.every-minute"));
        Assert.Equal(F.Clock.GetUtcNow().UtcDateTime.AddMinutes(1), row.NextFireAt);
        F.Clock.Advance(TimeSpan.FromMinutes(1));
        await b.RunOnceAsync(CancellationToken.None);
        Assert.Equal(2, (await TickJobs()).Count);
    }

    [Fact]
    public async Task A_cron_schedule_fires_on_its_boundaries()
    {
        var scheduler = F.Services.GetRequiredService<JobScheduler>();
        await scheduler.RunOnceAsync(CancellationToken.None); // clock 12:00:00; next */5 is 12:05
        var row = await F.WithDb(db => db.RecurringSchedules.SingleAsync(s => s.Name == "test.cron"));
        Assert.Equal(new DateTime(2026, 11, 28, 12, 5, 0, DateTimeKind.Utc), row.NextFireAt);

        F.Clock.Advance(TimeSpan.FromMinutes(4));
        await scheduler.RunOnceAsync(CancellationToken.None);
        Assert.False(await F.WithDb(db => db.Jobs.AnyAsync(j => j.IdempotencyKey!.StartsWith("recurring:test.cron:"))));
        F.Clock.Advance(TimeSpan.FromMinutes(1));
        await scheduler.RunOnceAsync(CancellationToken.None);
        Assert.Equal(1, await F.WithDb(db => db.Jobs.CountAsync(j => j.IdempotencyKey!.StartsWith("recurring:test.cron:"))));
        row = await F.WithDb(db => db.RecurringSchedules.SingleAsync(s => s.Name == "test.cron"));
        Assert.Equal(new DateTime(2026, 11, 28, 12, 10, 0, DateTimeKind.Utc), row.NextFireAt);
    }

    [Fact]
    public void Schedules_parse_cron_and_intervals_and_reject_nonsense()
    {
        var t = new DateTime(2026, 1, 1, 10, 7, 30, DateTimeKind.Utc);
        Assert.Equal(t.AddSeconds(90), RecurringJobs.NextAfter(RecurringJobs.Every(TimeSpan.FromSeconds(90)), t));
        Assert.Equal(new DateTime(2026, 1, 2, 3, 0, 0, DateTimeKind.Utc), RecurringJobs.NextAfter(RecurringJobs.Cron("0 3 * * *"), t));
        Assert.Equal(t.AddSeconds(30), RecurringJobs.NextAfter(RecurringJobs.Cron("0 * * * * *"), t));
        Assert.ThrowsAny<Exception>(() => RecurringJobs.Cron("every tuesday"));
        Assert.Throws<ArgumentOutOfRangeException>(() => RecurringJobs.Every(TimeSpan.Zero));
    }
}
