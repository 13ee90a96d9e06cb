using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Channels.Telegram;

public sealed class WebhookStorageFailureTests : IAsyncLifetime
{
    private readonly BotAppFactory _app = new();
    public Task InitializeAsync() => _app.InitializeAsync();
    public Task DisposeAsync() => ((IAsyncLifetime)_app).DisposeAsync();

    [Fact]
    public async Task When_the_update_cannot_be_committed_the_answer_is_503_so_telegram_retries_and_the_retry_is_stored()
    {
        var update = Updates.Text(Updates.NewUserId(), "/echo retried").ToJsonString();
        // The inbox table is gone for a moment: the group commit fails.
        await _app.WithDb(db => db.Database.ExecuteSqlRawAsync("ALTER TABLE inbound_updates RENAME TO inbound_updates_away"));
        var failed = await _app.Webhook().PostRaw("/api/v1/telegram/webhook", update);
        await failed.AssertProblem(503, "inbox_unavailable");

        await _app.WithDb(db => db.Database.ExecuteSqlRawAsync("ALTER TABLE inbound_updates_away RENAME TO inbound_updates"));
        var retried = await _app.Webhook().PostRaw("/api/v1/telegram/webhook", update);
        Assert.Equal(200, (int)retried.StatusCode);
        await _app.ProcessAll();
        Assert.Equal(1, await _app.WithDb(db => db.InboundUpdates.CountAsync(u => u.Payload == update)));
    }
}
