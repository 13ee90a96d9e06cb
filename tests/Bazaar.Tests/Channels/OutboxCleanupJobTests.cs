using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Tests.Jobs;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Channels;

public sealed class OutboxCleanupJobTests
{
    [Fact]
    public async Task The_hourly_job_deletes_finished_rows_past_the_retention_and_keeps_the_rest()
    {
        await using var h = await OutboxAppHost.StartAsync(("Outbox:RetentionDays", "7"));
        Assert.Equal(0, await JobSteps.TickAsync(h.App)); // registers the hourly schedules
        h.Api.FailNextFor("1002", 400, "Bad Request");
        var old = await h.Texts("1001", "old");
        var oldFailed = await h.Texts("1002", "old failed");
        var oldPending = await h.Enqueue(o => [o.SendText(new ChatTarget(ChatChannel.Sandbox, "9"), "not mine")]);
        await h.RunOnce();
        h.Advance(TimeSpan.FromDays(6));
        var recent = await h.Texts("1001", "recent");
        await h.RunOnce();
        h.Advance(TimeSpan.FromDays(2));

        await JobSteps.TickAsync(h.App);
        var runs = await JobSteps.DrainAsync(h.App);
        var run = Assert.Single(runs, r => r.Type == OutboxCleanupJob.Type);
        Assert.Equal(JobOutcome.Completed, run.Outcome);

        var left = await h.App.WithDb(db => db.Outbox.Select(m => m.Id).ToListAsync());
        Assert.DoesNotContain(old[0], left);
        Assert.DoesNotContain(oldFailed[0], left);
        Assert.Contains(oldPending[0], left);
        Assert.Contains(recent[0], left);

        // Once per hour: nothing more fires until the next hour.
        h.Advance(TimeSpan.FromMinutes(59));
        await JobSteps.TickAsync(h.App);
        Assert.Single(await JobSteps.JobsOfTypeAsync(h.App, OutboxCleanupJob.Type));
        h.Advance(TimeSpan.FromMinutes(1));
        await JobSteps.TickAsync(h.App);
        Assert.Equal(2, (await JobSteps.JobsOfTypeAsync(h.App, OutboxCleanupJob.Type)).Count);
    }
}
