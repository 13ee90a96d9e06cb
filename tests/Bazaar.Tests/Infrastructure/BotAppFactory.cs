using System.Text.Json.Nodes;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Tests.Fakes;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Infrastructure;

/// <summary>
/// The server with a Telegram bot pointed at a <see cref="FakeBotApi"/>, a webhook secret, a few test routes,
/// and the background processor off: tests drive it with <see cref="ProcessAll"/>.
/// </summary>
public class BotAppFactory : AppFactory
{
    public const string Secret = "test-webhook-secret-42";
    public const long AdminUserId = 777000111;
    public FakeBotApi Bot { get; private set; } = null!;
    /// <summary>When set, the test command /boom throws after changing state.</summary>
    public TestSwitch Switch { get; } = new();

    public BotAppFactory()
    {
        With("Telegram:BotToken", "123456:TEST-token");
        With("Telegram:WebhookSecret", Secret);
        With("Telegram:Mode", "Webhook");
        With("Telegram:BotUsername", "bazaar_test_bot");
        With("Conversations:Processor:Enabled", "false");
        With("Admin:TelegramIds", AdminUserId.ToString());
    }

    public override async Task InitializeAsync()
    {
        Bot = await FakeBotApi.StartAsync();
        With("Telegram:ApiBaseUrl", Bot.BaseUrl);
        await base.InitializeAsync();
    }

    protected override void ConfigureTestServices(IServiceCollection services)
    {
        services.AddSingleton(Switch);
        services.AddBotRoutes(TestRoutes.Register);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) Bot?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    public UpdateProcessor Processor => Services.GetRequiredService<UpdateProcessor>();

    /// <summary>Runs the processor until the inbox is empty.</summary>
    public async Task<int> ProcessAll()
    {
        var total = 0;
        for (var n = await Processor.RunOnceAsync(default); n > 0; n = await Processor.RunOnceAsync(default)) total += n;
        return total;
    }

    public HttpClient Webhook(string? secret = Secret)
    {
        var c = CreateClient();
        if (secret is not null) c.DefaultRequestHeaders.Add("X-Telegram-Bot-Api-Secret-Token", secret);
        return c;
    }

    public async Task Post(JsonObject update)
    {
        var r = await Webhook().PostRaw("/api/v1/telegram/webhook", update.ToJsonString());
        Assert.Equal(200, (int)r.StatusCode);
    }

    /// <summary>Posts the updates and processes them.</summary>
    public async Task Send(params JsonObject[] updates)
    {
        foreach (var u in updates) await Post(u);
        await ProcessAll();
    }

    public Task<List<OutboxMessage>> OutboxFor(long chatId) =>
        WithDb(db => db.Outbox.AsNoTracking().Where(m => m.ChatId == chatId.ToString()).OrderBy(m => m.Id).ToListAsync());

    /// <summary>The texts of sendMessage and editMessageText rows for a chat.</summary>
    public async Task<List<string>> TextsFor(long chatId) =>
        (await OutboxFor(chatId)).Where(m => m.Method is "sendMessage" or "editMessageText")
            .Select(m => JsonNode.Parse(m.Payload)!["text"]!.GetValue<string>()).ToList();

    public Task<InboundUpdate> Inbound(long updateId, string channel = ChatChannel.Telegram) =>
        WithDb(db => db.InboundUpdates.AsNoTracking().SingleAsync(u => u.Channel == channel && u.UpdateId == updateId));
}

public sealed class TestSwitch
{
    public volatile bool Fail;
    /// <summary>The test command /hold completes <see cref="Entered"/> and waits for <see cref="Release"/>: an update in flight.</summary>
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Routes a feature would register; the tests check the pipeline sends each update to the right one.</summary>
public static class TestRoutes
{
    public const string AskStep = "test.await_answer";

    public static void Register(BotRoutes r) => r
        .Command("echo", ctx => { ctx.Reply($"echo:{ctx.Args}"); return Task.CompletedTask; }, new Localized("Echo back", "Эхо"))
        .Command("secret", ctx => { ctx.Reply("hidden command"); return Task.CompletedTask; }, hidden: true)
        .Command("ask", async ctx =>
        {
            await ctx.SetStepAsync(AskStep, new AskData(ctx.Args));
            ctx.Reply("What is your answer?");
        }, new Localized("Ask a question", "Задать вопрос"))
        .Command("boom", async ctx =>
        {
            await ctx.SetStepAsync("test.boom");
            ctx.Reply("this must never be sent");
            if (ctx.Services.GetRequiredService<TestSwitch>().Fail) throw new InvalidOperationException("handler exploded");
        })
        .Command("hold", async ctx =>
        {
            var s = ctx.Services.GetRequiredService<TestSwitch>();
            s.Entered.TrySetResult();
            await s.Release.Task;
            ctx.Reply("held");
        }, hidden: true)
        .StartPayload("tst_", ctx => { ctx.Reply($"referred:{ctx.Args}"); return Task.CompletedTask; })
        .Callback("test:", ctx =>
        {
            ctx.AnswerCallback("pressed");
            ctx.EditOrReply($"callback:{ctx.CallbackData}");
            return Task.CompletedTask;
        })
        .Step(AskStep, async ctx =>
        {
            var data = await ctx.GetStateDataAsync<AskData>();
            var media = ctx.Message?.Photo is not null ? "photo" : ctx.Message?.Document is not null ? "document" : "text";
            ctx.Reply($"answer:{data?.Topic}:{media}:{ctx.Text}");
            await ctx.ClearStateAsync();
        })
        .PreCheckout("inv:", ctx =>
        {
            ctx.Outbox.AnswerPreCheckout(ctx.Chat, ctx.Update.PreCheckoutQuery!.Id);
            return Task.CompletedTask;
        })
        .SuccessfulPayment("inv:", ctx =>
        {
            ctx.Reply($"paid:{ctx.Message!.SuccessfulPayment!.InvoicePayload}");
            return Task.CompletedTask;
        });

    public sealed record AskData(string Topic);
}

/// <summary>Telegram updates as the Bot API sends them.</summary>
public static class Updates
{
    private static int _updateId = 100;
    private static long _userId = 5_000_000;
    private static int _messageId = 1;

    public static int NextUpdateId() => Interlocked.Increment(ref _updateId);
    public static long NewUserId() => Interlocked.Increment(ref _userId);

    public static JsonObject From(long userId, string lang = "en", string name = "Alice", string? username = "alice") => new()
    {
        ["id"] = userId, ["is_bot"] = false, ["first_name"] = name, ["username"] = username, ["language_code"] = lang,
    };

    public static JsonObject Chat(long chatId, string type = "private") =>
        type == "private" ? new() { ["id"] = chatId, ["type"] = type, ["first_name"] = "Alice" } : new() { ["id"] = chatId, ["type"] = type, ["title"] = "Group" };

    public static JsonObject Text(long userId, string text, int? updateId = null, string lang = "en", long? chatId = null,
        string name = "Alice", string? username = "alice")
    {
        var message = new JsonObject
        {
            ["message_id"] = Interlocked.Increment(ref _messageId), ["from"] = From(userId, lang, name, username),
            ["chat"] = Chat(chatId ?? userId, chatId is null || chatId == userId ? "private" : "group"),
            ["date"] = 1764331200, ["text"] = text,
        };
        if (text.StartsWith('/'))
            message["entities"] = new JsonArray(new JsonObject { ["type"] = "bot_command", ["offset"] = 0, ["length"] = text.Split(' ')[0].Length });
        return new JsonObject { ["update_id"] = updateId ?? NextUpdateId(), ["message"] = message };
    }

    public static JsonObject Photo(long userId, string? caption = null) => new()
    {
        ["update_id"] = NextUpdateId(),
        ["message"] = new JsonObject
        {
            ["message_id"] = Interlocked.Increment(ref _messageId), ["from"] = From(userId), ["chat"] = Chat(userId), ["date"] = 1764331200,
            ["photo"] = new JsonArray(new JsonObject { ["file_id"] = "AgAD-photo", ["file_unique_id"] = "u1", ["width"] = 90, ["height"] = 90 }),
            ["caption"] = caption,
        },
    };

    public static JsonObject Document(long userId) => new()
    {
        ["update_id"] = NextUpdateId(),
        ["message"] = new JsonObject
        {
            ["message_id"] = Interlocked.Increment(ref _messageId), ["from"] = From(userId), ["chat"] = Chat(userId), ["date"] = 1764331200,
            ["document"] = new JsonObject { ["file_id"] = "BQAD-doc", ["file_unique_id"] = "d1", ["file_name"] = "proof.pdf" },
        },
    };

    public static JsonObject Callback(long userId, string data, int messageId = 42) => new()
    {
        ["update_id"] = NextUpdateId(),
        ["callback_query"] = new JsonObject
        {
            ["id"] = $"cq{NextUpdateId()}", ["from"] = From(userId), ["chat_instance"] = "ci", ["data"] = data,
            ["message"] = new JsonObject
            {
                ["message_id"] = messageId, ["date"] = 1764331200, ["chat"] = Chat(userId),
                ["from"] = new JsonObject { ["id"] = 123456, ["is_bot"] = true, ["first_name"] = "Bazaar" }, ["text"] = "menu",
            },
        },
    };

    public static JsonObject PreCheckout(long userId, string payload) => new()
    {
        ["update_id"] = NextUpdateId(),
        ["pre_checkout_query"] = new JsonObject
        {
            ["id"] = $"pcq{NextUpdateId()}", ["from"] = From(userId), ["currency"] = "XTR", ["total_amount"] = 100, ["invoice_payload"] = payload,
        },
    };

    public static JsonObject SuccessfulPayment(long userId, string payload) => new()
    {
        ["update_id"] = NextUpdateId(),
        ["message"] = new JsonObject
        {
            ["message_id"] = Interlocked.Increment(ref _messageId), ["from"] = From(userId), ["chat"] = Chat(userId), ["date"] = 1764331200,
            ["successful_payment"] = new JsonObject
            {
                ["currency"] = "XTR", ["total_amount"] = 100, ["invoice_payload"] = payload,
                ["telegram_payment_charge_id"] = "tg-charge-1", ["provider_payment_charge_id"] = "prov-1",
            },
        },
    };
}
