using System.Text.Json.Nodes;
using Bazaar.Server.Conversations;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Channels.Telegram;

public sealed class TelegramWebhookTests(BotAppFactory app) : IClassFixture<BotAppFactory>
{
    private const string Url = "/api/v1/telegram/webhook";

    private Task<int> RowsFor(int updateId) => app.WithDb(db => db.InboundUpdates.CountAsync(u => u.UpdateId == updateId));

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-secret")]
    [InlineData("test-webhook-secret-4")]
    public async Task Missing_or_wrong_secret_is_401_and_nothing_is_stored(string? secret)
    {
        var update = Updates.Text(Updates.NewUserId(), "/start");
        var r = await app.Webhook(secret).PostRaw(Url, update.ToJsonString());
        await r.AssertProblem(401, "webhook_secret_invalid");
        Assert.Equal(0, await RowsFor(update["update_id"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Right_secret_stores_the_update_before_answering_200()
    {
        var user = Updates.NewUserId();
        var update = Updates.Text(user, "/start");
        var r = await app.Webhook().PostRaw(Url, update.ToJsonString());
        Assert.Equal(200, (int)r.StatusCode);
        var row = await app.Inbound(update["update_id"]!.GetValue<int>());
        Assert.Equal(UpdateStatus.Received, row.Status);
        Assert.Equal("message", row.Kind);
        Assert.Equal("start", row.Command);
        Assert.Equal(user.ToString(), row.UserId);
        Assert.Equal(user.ToString(), row.ChatId);
        Assert.Equal("123456", row.BotId);
        Assert.Contains("\"/start\"", row.Payload);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"hello\":\"world\"}")]
    [InlineData("{\"update_id\":\"abc\"}")]
    [InlineData("")]
    public async Task Malformed_json_or_not_an_update_is_400(string body)
    {
        var r = await app.Webhook().PostRaw(Url, body);
        await r.AssertProblem(400, "update_invalid");
    }

    [Fact]
    public async Task An_update_nobody_handles_is_200_and_logged_as_ignored()
    {
        var id = Updates.NextUpdateId();
        var update = new JsonObject
        {
            ["update_id"] = id,
            ["channel_post"] = new JsonObject { ["message_id"] = 1, ["date"] = 1764331200, ["chat"] = new JsonObject { ["id"] = -100123, ["type"] = "channel", ["title"] = "News" }, ["text"] = "hi" },
        };
        var r = await app.Webhook().PostRaw(Url, update.ToJsonString());
        Assert.Equal(200, (int)r.StatusCode);
        var row = await app.Inbound(id);
        Assert.Equal(UpdateStatus.Ignored, row.Status);
        Assert.Equal("channel_post", row.Kind);
        Assert.NotNull(row.ProcessedAt);
    }

    [Fact]
    public async Task A_duplicate_delivered_again_is_accepted_but_has_its_effect_once()
    {
        var user = Updates.NewUserId();
        var update = Updates.Text(user, "/echo once").ToJsonString();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (int)(await app.Webhook().PostRaw(Url, update)).StatusCode);
            await app.ProcessAll();
        }
        Assert.Equal(["echo:once"], await app.TextsFor(user));
        Assert.Equal(1, await app.WithDb(db => db.InboundUpdates.CountAsync(u => u.UserId == user.ToString())));
    }

    [Fact]
    public async Task The_same_update_posted_concurrently_on_many_connections_is_stored_once_with_one_effect()
    {
        var user = Updates.NewUserId();
        var update = Updates.Text(user, "/echo race");
        var id = update["update_id"]!.GetValue<int>();
        var json = update.ToJsonString();
        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(() => app.Webhook().PostRaw(Url, json))));
        Assert.All(responses, r => Assert.Equal(200, (int)r.StatusCode));
        Assert.Equal(1, await RowsFor(id));

        // Processing raced as well: several processors at once still give one reply.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => app.ProcessAll())));
        Assert.Equal(["echo:race"], await app.TextsFor(user));
        Assert.Equal(UpdateStatus.Processed, (await app.Inbound(id)).Status);
    }

    [Fact]
    public async Task Many_distinct_updates_posted_concurrently_are_all_stored_and_processed_once()
    {
        var users = Enumerable.Range(0, 30).Select(_ => Updates.NewUserId()).ToList();
        var updates = users.Select(u => Updates.Text(u, $"/echo {u}").ToJsonString()).ToList();
        var responses = await Task.WhenAll(updates.Select(u => Task.Run(() => app.Webhook().PostRaw(Url, u))));
        Assert.All(responses, r => Assert.Equal(200, (int)r.StatusCode));
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => app.ProcessAll())));
        foreach (var u in users) Assert.Equal([$"echo:{u}"], await app.TextsFor(u));
    }

    [Fact]
    public async Task The_webhook_and_the_event_log_are_in_the_openapi_document()
    {
        var doc = await (await app.CreateClient().GetAsync("/openapi/v1.json")).ReadJson();
        var paths = doc.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/telegram/webhook", out _));
        Assert.True(paths.TryGetProperty("/api/v1/admin/updates", out _));
        Assert.True(paths.TryGetProperty("/api/v1/admin/updates/{id}/retry", out _));
    }
}
