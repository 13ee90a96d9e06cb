using Bazaar.Server.Conversations;
using Bazaar.Server.Jobs;
using Bazaar.Tests.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Conversations;

public sealed class ConversationJobsTests : IAsyncLifetime
{
    private readonly BotAppFactory _app = (BotAppFactory)new BotAppFactory()
        .With("Conversations:EventLogRetentionDays", "7")
        .With("Conversations:StateTtlMinutes", "30");

    public Task InitializeAsync() => _app.InitializeAsync();

    public async Task DisposeAsync() => await ((IAsyncLifetime)_app).DisposeAsync();

    private Task<List<UpdateStatus>> UpdatesOf(long user) => _app.WithDb(db =>
        db.InboundUpdates.Where(u => u.UserId == user.ToString()).OrderBy(u => u.Id).Select(u => u.Status).ToListAsync());

    private Task<bool> HasState(long chat) => _app.WithDb(db => db.ConversationStates.AnyAsync(s => s.ChatId == chat.ToString()));

    [Fact]
    public async Task The_hourly_jobs_delete_old_updates_expired_steps_and_stale_rate_limit_windows()
    {
        Assert.Equal(0, await JobSteps.TickAsync(_app)); // registers the hourly schedules
        long logged = Updates.NewUserId(), expired = Updates.NewUserId(), fresh = Updates.NewUserId();
        await _app.Send(Updates.Text(logged, "/echo old"), Updates.Text(expired, "/ask late"));
        Assert.True(await HasState(expired));

        _app.Clock.Advance(TimeSpan.FromDays(8));
        await _app.Send(Updates.Text(fresh, "/ask now"));
        await _app.Post(Updates.Text(logged, "/echo waiting")); // received, not yet handled: kept whatever its age
        var staleCutoff = _app.Clock.GetUtcNow().ToUnixTimeMilliseconds() - 3_600_000;
        Assert.True(await _app.WithDb(db => db.RateLimits.AnyAsync(r => r.WindowStart < staleCutoff)));
        Assert.Equal(2, (await UpdatesOf(logged)).Count);

        Assert.True(await JobSteps.TickAsync(_app) >= 2); // the hourly schedules are due
        var runs = await JobSteps.DrainAsync(_app);
        Assert.Equal([EventLogCleanupJob.Type, ConversationStateCleanupJob.Type],
            runs.Where(r => r.Type.StartsWith("conversations.")).Select(r => r.Type).Order().ToArray());
        Assert.All(runs, r => Assert.Equal(JobOutcome.Completed, r.Outcome));

        Assert.Equal([UpdateStatus.Received], await UpdatesOf(logged));
        Assert.Single(await UpdatesOf(fresh));
        Assert.False(await HasState(expired));
        Assert.True(await HasState(fresh));
        Assert.False(await _app.WithDb(db => db.RateLimits.AnyAsync(r => r.WindowStart < staleCutoff)));
    }

    [Fact]
    public async Task Event_log_clean_up_deletes_in_batches()
    {
        var user = Updates.NewUserId();
        var now = _app.Clock.GetUtcNow().UtcDateTime;
        await _app.WithDb(async db =>
        {
            db.InboundUpdates.AddRange(Enumerable.Range(1, EventLog.BatchSize * 2 + 5).Select(i => new InboundUpdate
            {
                Channel = "test", BotId = "bulk", UpdateId = i, Kind = "message", UserId = user.ToString(),
                Status = UpdateStatus.Processed, ReceivedAt = now.AddDays(-10), Payload = "{}",
            }));
            await db.SaveChangesAsync();
        });
        await using var scope = _app.Services.CreateAsyncScope();
        Assert.Equal(EventLog.BatchSize * 2 + 5,
            await scope.ServiceProvider.GetRequiredService<EventLog>().DeleteOldUpdatesAsync(default));
        Assert.Empty(await UpdatesOf(user));
    }
}
