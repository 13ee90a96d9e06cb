using System.Text.Json;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Tests.Conversations;
using Bazaar.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Channels.Sandbox;

public sealed class SandboxAppFactory : BotAppFactory
{
    public SandboxAppFactory() => With("Sandbox:Enabled", "true");
}

public sealed class SandboxTests(SandboxAppFactory app) : IClassFixture<SandboxAppFactory>
{
    private async Task<JsonElement> Post(object update)
    {
        var r = await app.CreateClient().PostRaw("/api/v1/sandbox/updates", JsonSerializer.Serialize(update));
        Assert.Equal(200, (int)r.StatusCode);
        return await r.ReadJson();
    }

    private static object Text(long user, string text) => JsonSerializer.Deserialize<object>(Updates.Text(user, text).ToJsonString())!;

    [Fact]
    public async Task A_start_message_round_trips_through_the_pipeline_and_a_button_edits_the_reply_in_place()
    {
        var user = Updates.NewUserId();
        var reply = await Post(Text(user, "/start"));
        Assert.Equal("Processed", reply.GetProperty("status").GetString());
        var greeting = reply.GetProperty("messages").EnumerateArray().Single();
        Assert.Equal("sendMessage", greeting.GetProperty("method").GetString());
        Assert.StartsWith("Hello, Alice!", greeting.GetProperty("text").GetString());
        var messageId = greeting.GetProperty("messageId").GetInt32();
        var button = greeting.GetProperty("replyMarkup").GetProperty("inline_keyboard")[0][0];
        Assert.Equal("conv:help", button.GetProperty("callback_data").GetString());

        var row = await app.WithDb(db => db.Outbox.AsNoTracking().SingleAsync(m => m.Id == greeting.GetProperty("id").GetInt64()));
        Assert.Equal(ChatChannel.Sandbox, row.Channel);
        Assert.Equal(OutboxStatus.Sent, row.Status);
        Assert.Equal(messageId, JsonDocument.Parse(row.Result!).RootElement.GetProperty("message_id").GetInt32());
        var sandboxUser = await app.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Id == row.UserId));
        Assert.Equal(ChatChannel.Sandbox, sandboxUser.Channel);

        var press = JsonSerializer.Deserialize<object>(Updates.Callback(user, "conv:help", messageId).ToJsonString())!;
        var pressed = (await Post(press)).GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["answerCallbackQuery", "editMessageText"], pressed.Select(m => m.GetProperty("method").GetString()));
        Assert.Equal(messageId, pressed[1].GetProperty("messageId").GetInt32());
        Assert.StartsWith("Here is what I can do:", pressed[1].GetProperty("text").GetString());

        // Nothing went to Telegram.
        Assert.DoesNotContain(app.Bot.Calls, c => c.Method is "sendMessage" or "editMessageText" or "answerCallbackQuery");
    }

    [Fact]
    public async Task Messages_enqueued_later_are_delivered_through_the_messages_listing()
    {
        var user = Updates.NewUserId();
        var first = (await Post(Text(user, "/help"))).GetProperty("messages")[0].GetProperty("id").GetInt64();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var outbox = scope.ServiceProvider.GetRequiredService<Outbox>();
            outbox.SendText(new ChatTarget(ChatChannel.Sandbox, user.ToString()), "Your order has shipped");
            await scope.ServiceProvider.GetRequiredService<BazaarDb>().SaveChangesAsync();
        }
        var later = await (await app.CreateClient().GetAsync($"/api/v1/sandbox/messages?chatId={user}&after={first}")).ReadJson();
        var m = later.EnumerateArray().Single();
        Assert.Equal("Your order has shipped", m.GetProperty("text").GetString());
        var row = await app.WithDb(db => db.Outbox.AsNoTracking().SingleAsync(x => x.Id == m.GetProperty("id").GetInt64()));
        Assert.Equal(OutboxStatus.Sent, row.Status);
    }

    [Fact]
    public async Task A_bad_update_is_400_and_a_repeated_update_id_returns_the_same_replies()
    {
        await (await app.CreateClient().PostRaw("/api/v1/sandbox/updates", "{oops")).AssertProblem(400, "update_invalid");
        var user = Updates.NewUserId();
        var update = Text(user, "/echo twice");
        var a = await Post(update);
        var b = await Post(update);
        Assert.Equal(a.GetProperty("inboundId").GetInt64(), b.GetProperty("inboundId").GetInt64());
        Assert.Single(b.GetProperty("messages").EnumerateArray());
    }

    [Fact]
    public async Task The_page_is_served_and_the_root_redirects_to_it()
    {
        var page = await app.CreateClient().GetAsync("/sandbox");
        Assert.Equal(200, (int)page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("Bazaar chat sandbox", html);
        Assert.DoesNotContain("https://", html); // self-contained: no CDN

        var root = await app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }).GetAsync("/");
        Assert.Equal("/sandbox", root.Headers.Location?.ToString());
    }
}

public sealed class SandboxDisabledTests(BotAppFactory app) : IClassFixture<BotAppFactory>
{
    [Fact]
    public async Task When_off_the_sandbox_routes_are_404_and_the_root_goes_to_the_api_docs()
    {
        await (await app.CreateClient().GetAsync("/sandbox")).AssertProblem(404, "sandbox_disabled");
        await (await app.CreateClient().PostRaw("/api/v1/sandbox/updates", Updates.Text(1, "/start").ToJsonString())).AssertProblem(404, "sandbox_disabled");
        await (await app.CreateClient().GetAsync("/api/v1/sandbox/messages?chatId=1")).AssertProblem(404, "sandbox_disabled");
        var root = await app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }).GetAsync("/");
        Assert.Equal("/api-docs", root.Headers.Location?.ToString());
    }
}
