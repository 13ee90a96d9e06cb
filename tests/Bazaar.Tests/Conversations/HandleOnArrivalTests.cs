using Bazaar.Server.Conversations;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Conversations;

/// <summary>The server as it runs: updates are handled in the inbox writer's transaction, before the 200.</summary>
public sealed class HandlingBotAppFactory : BotAppFactory
{
    public HandlingBotAppFactory()
    {
        With("Conversations:Processor:Enabled", "true");
        With("Sandbox:Enabled", "true");
    }
}

public sealed class HandleOnArrivalTests(HandlingBotAppFactory app) : IClassFixture<HandlingBotAppFactory>
{
    private const string Url = "/api/v1/telegram/webhook";

    [Fact]
    public async Task The_200_comes_after_the_reply_is_in_the_outbox()
    {
        var user = Updates.NewUserId();
        var update = Updates.Text(user, "/echo now");
        await app.Post(update);
        var row = await app.Inbound(update["update_id"]!.GetValue<int>());
        Assert.Equal(UpdateStatus.Processed, row.Status);
        Assert.Equal(1, row.Attempts);
        Assert.Equal(["echo:now"], await app.TextsFor(user));
    }

    [Fact]
    public async Task Concurrent_duplicates_and_one_chats_updates_have_their_effect_once_and_in_order()
    {
        var user = Updates.NewUserId();
        var updates = Enumerable.Range(0, 8).Select(i => Updates.Text(user, $"/echo {i}")).ToList();
        var posts = updates.SelectMany(u => new[] { u, u }).Select(u => app.Post(u));
        await Task.WhenAll(posts);
        await app.ProcessAll();
        var texts = await app.TextsFor(user);
        Assert.Equal(8, texts.Count);
        var ids = updates.Select(u => u["update_id"]!.GetValue<int>()).ToList();
        var rows = await app.WithDb(db => db.InboundUpdates.AsNoTracking().Where(u => ids.Contains((int)u.UpdateId)).ToListAsync());
        Assert.Equal(8, rows.Count);
        Assert.All(rows, r => Assert.Equal(UpdateStatus.Processed, r.Status));
    }

    [Fact]
    public async Task A_message_without_a_chat_is_stored_as_ignored_with_the_reason()
    {
        var id = Random.Shared.Next(100_000_000, int.MaxValue);
        var r = await app.Webhook().PostRaw(Url, "{\"update_id\":" + id + ",\"message\":{\"message_id\":1,\"date\":0,\"text\":\"/start\"}}");
        Assert.Equal(200, (int)r.StatusCode);
        var row = await app.Inbound(id);
        Assert.Equal(UpdateStatus.Ignored, row.Status);
        Assert.Contains("chat", row.Error);
    }

    [Fact]
    public async Task The_sandbox_answers_400_to_a_message_without_a_chat()
    {
        var id = Random.Shared.Next(100_000_000, int.MaxValue);
        var r = await app.CreateClient().PostRaw("/api/v1/sandbox/updates", "{\"update_id\":" + id + ",\"message\":{\"message_id\":1,\"date\":0,\"text\":\"/start\"}}");
        await r.AssertProblem(400, "update_malformed");
    }
}

/// <summary>
/// A bot whose webhook secret was left empty. In Webhook mode the start-up check refuses that (SettingsChecksTests);
/// the route is still mapped in the other modes, and must refuse every call there too.
/// </summary>
public sealed class NoSecretBotAppFactory : BotAppFactory
{
    public NoSecretBotAppFactory() => With("Telegram:WebhookSecret", "").With("Telegram:Mode", "Off");
}

public sealed class EmptyWebhookSecretTests(NoSecretBotAppFactory app) : IClassFixture<NoSecretBotAppFactory>
{
    [Theory]
    [InlineData(null)]
    [InlineData("anything")]
    public async Task An_empty_webhook_secret_refuses_every_call(string? secret)
    {
        var update = Updates.Text(Updates.NewUserId(), "/start");
        var r = await app.Webhook(secret).PostRaw("/api/v1/telegram/webhook", update.ToJsonString());
        await r.AssertProblem(401, "webhook_secret_invalid");
        var id = update["update_id"]!.GetValue<int>();
        Assert.Equal(0, await app.WithDb(db => db.InboundUpdates.CountAsync(u => u.UpdateId == id)));
    }
}
