using System.Text.Json.Nodes;
using Bazaar.Server.Channels.Telegram;
using Bazaar.Server.Conversations;
using Bazaar.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Channels.Telegram;

public sealed class TelegramModeTests
{
    private static async Task<T> With<T>(Action<BotAppFactory> configure, Func<BotAppFactory, Task<T>> work)
    {
        var app = new BotAppFactory();
        configure(app);
        try
        {
            await app.InitializeAsync();
            return await work(app);
        }
        finally { await ((IAsyncLifetime)app).DisposeAsync(); }
    }

    [Fact]
    public async Task Webhook_mode_registers_commands_per_language_and_sets_the_webhook_with_the_secret()
    {
        var calls = await With(a => a.With("Telegram:PublicUrl", "https://shop.example.com/"), a => Task.FromResult(a.Bot.Calls.ToList()));

        var commands = calls.Where(c => c.Method == "setMyCommands").ToList();
        Assert.Equal(2, commands.Count);
        var english = commands.Single(c => c.Parameters["language_code"] is null);
        var russian = commands.Single(c => c.Str("language_code") == "ru");
        Assert.Contains(english.Parameters["commands"]!.AsArray(), c => c!["command"]!.GetValue<string>() == "help" && c["description"]!.GetValue<string>() == "What I can do");
        Assert.Contains(russian.Parameters["commands"]!.AsArray(), c => c!["command"]!.GetValue<string>() == "help" && c["description"]!.GetValue<string>() == "Что я умею");
        Assert.DoesNotContain(english.Parameters["commands"]!.AsArray(), c => c!["command"]!.GetValue<string>() == "secret");

        var hook = calls.Single(c => c.Method == "setWebhook");
        Assert.Equal("https://shop.example.com/api/v1/telegram/webhook", hook.Str("url"));
        Assert.Equal(BotAppFactory.Secret, hook.Str("secret_token"));
        var allowed = hook.Parameters["allowed_updates"]!.AsArray().Select(x => x!.GetValue<string>()).ToList();
        Assert.Contains("message", allowed);
        Assert.Contains("callback_query", allowed);
        Assert.Contains("pre_checkout_query", allowed);
    }

    [Fact]
    public async Task Webhook_mode_without_a_public_url_does_not_set_the_webhook_and_off_mode_calls_nothing()
    {
        var webhook = await With(_ => { }, a => Task.FromResult(a.Bot.Calls.ToList()));
        Assert.DoesNotContain(webhook, c => c.Method == "setWebhook");
        Assert.Contains(webhook, c => c.Method == "setMyCommands");

        var off = await With(a => a.With("Telegram:Mode", "Off"), a => Task.FromResult(a.Bot.Calls.ToList()));
        Assert.Empty(off);
    }

    [Fact]
    public async Task Polling_deletes_the_webhook_feeds_the_same_inbox_and_confirms_with_the_next_offset()
    {
        await With(a => a.With("Telegram:Mode", "Polling").With("Telegram:PollingLoop", "false"), async app =>
        {
            var polling = app.Services.GetRequiredService<TelegramPolling>();
            var user = Updates.NewUserId();
            var first = Updates.Text(user, "/echo polled");
            var second = Updates.Text(user, "/echo again");
            app.Bot.QueueUpdate(first);
            app.Bot.QueueUpdate(second);

            Assert.Equal(2, await polling.RunOnceAsync(0, default));
            Assert.Single(app.Bot.CallsOf("deleteWebhook"));
            Assert.Null(app.Bot.CallsOf("getUpdates").First().Parameters["offset"]);

            // The same update again (Telegram re-sends until confirmed) is stored once.
            app.Bot.QueueUpdate((JsonObject)first.DeepClone());
            Assert.Equal(0, await polling.RunOnceAsync(0, default));
            var offset = app.Bot.CallsOf("getUpdates").Last().Parameters["offset"]!.GetValue<int>();
            Assert.Equal(second["update_id"]!.GetValue<int>() + 1, offset);

            await app.ProcessAll();
            Assert.Equal(["echo:polled", "echo:again"], await app.TextsFor(user));
            Assert.Equal(UpdateStatus.Processed, (await app.Inbound(first["update_id"]!.GetValue<int>())).Status);
            return 0;
        });
    }

    [Fact]
    public async Task A_polling_failure_is_an_exception_the_loop_backs_off_from()
    {
        await With(a => a.With("Telegram:Mode", "Polling").With("Telegram:PollingLoop", "false"), async app =>
        {
            var polling = app.Services.GetRequiredService<TelegramPolling>();
            app.Bot.FailNext("getUpdates", 502, "Bad Gateway");
            await Assert.ThrowsAnyAsync<Exception>(() => polling.RunOnceAsync(0, default));
            app.Bot.QueueUpdate(Updates.Text(Updates.NewUserId(), "/help"));
            Assert.Equal(1, await polling.RunOnceAsync(0, default));
            return 0;
        });
    }
}
