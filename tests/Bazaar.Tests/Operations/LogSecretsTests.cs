using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Bazaar.Server.Channels;
using Bazaar.Server.Payments;
using Bazaar.Tests.Payments;
using Bazaar.Tests.Wallet;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bazaar.Tests.Operations;

/// <summary>Every log line of the server, at Trace level, with its scopes.</summary>
public sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    public sealed record Entry(string Category, LogLevel Level, string Message, string? Exception, IReadOnlyList<KeyValuePair<string, object?>> Scope, string ScopeText)
    {
        public string All => $"{Category} {Message} {Exception} {ScopeText}";
        public object? ScopeValue(string key) => Scope.LastOrDefault(kv => kv.Key == key).Value;
    }

    public ConcurrentQueue<Entry> Entries { get; } = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;
    public void Dispose() { }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var kvs = new List<KeyValuePair<string, object?>>();
            var text = new StringBuilder();
            owner._scopes.ForEachScope((s, _) =>
            {
                text.Append(s).Append(" | ");
                if (s is IEnumerable<KeyValuePair<string, object?>> pairs) kvs.AddRange(pairs);
                else if (s is IEnumerable<KeyValuePair<string, object>> pairs2) kvs.AddRange(pairs2.Select(p => new KeyValuePair<string, object?>(p.Key, p.Value)));
            }, (object?)null);
            var message = formatter(state, exception);
            // The structured values too, not only the rendered message.
            if (state is IEnumerable<KeyValuePair<string, object?>> values) message += " " + string.Join(" ", values.Select(v => $"{v.Key}={v.Value}"));
            owner.Entries.Enqueue(new Entry(category, logLevel, message, exception?.ToString(), kvs, text.ToString()));
        }
    }
}

/// <summary>The payments server with its own secrets everywhere, Telegram in Webhook mode, and every log line captured.</summary>
public sealed class SecretsAppFactory : PaymentsAppFactory
{
    public const string BotToken = "424242:SECRET-tg-token-Zq9xY";
    public const string WebhookSecret = "SECRET-webhook-Ws7kP";
    public const string StripeKey = "sk_test_SECRET_Sk3mQ";
    public const string StripeHook = "whsec_SECRET_Wh5nR";
    public const string AdminPassword = "SECRET-owner-Pw8vT";
    public CapturedLogs Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Telegram:BotToken", BotToken);
        builder.UseSetting("Telegram:Mode", "Webhook");
        builder.UseSetting("Telegram:WebhookSecret", WebhookSecret);
        builder.UseSetting("Telegram:PublicUrl", "https://shop.example");
        builder.UseSetting("Payments:Stripe:SecretKey", StripeKey);
        builder.UseSetting("Payments:Stripe:WebhookSecret", StripeHook);
        builder.UseSetting("Admin:Password", AdminPassword);
        builder.UseSetting("Logging:LogLevel:Default", "Trace");
        foreach (var c in (string[])["Microsoft.AspNetCore", "Microsoft.EntityFrameworkCore", "System.Net.Http.HttpClient", "Microsoft"])
            builder.UseSetting($"Logging:LogLevel:{c}", "Trace");
        builder.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(Logs));
    }
}

public sealed class LogSecretsTests : IAsyncLifetime
{
    private readonly SecretsAppFactory _app = new();

    public Task InitializeAsync() => _app.InitializeAsync();

    public async Task DisposeAsync() => await ((IAsyncLifetime)_app).DisposeAsync();

    [Fact]
    public async Task A_webhook_an_outbox_send_and_a_Stripe_payment_log_their_ids_but_never_a_secret()
    {
        // A command through the webhook, handled on arrival.
        var userId = Updates.NewUserId();
        var update = Updates.Text(userId, "/start");
        var updateId = update["update_id"]!.GetValue<int>();
        using (var webhook = _app.CreateClient())
        {
            webhook.DefaultRequestHeaders.Add("X-Telegram-Bot-Api-Secret-Token", SecretsAppFactory.WebhookSecret);
            Assert.Equal(HttpStatusCode.OK, (await webhook.PostRaw("/api/v1/telegram/webhook", update.ToJsonString())).StatusCode);
        }
        // Its replies go out through the Bot API (the token is in every URL).
        await _app.Services.GetRequiredService<OutboxSender>().RunOnceAsync(default);
        Assert.True(_app.Bot.Calls.Any(c => c.Method == "sendMessage" && c.Token == SecretsAppFactory.BotToken),
            string.Join("\n", _app.Bot.Calls.Select(c => c.Method + " " + c.Token)) + "\n" +
            string.Join("\n", _app.Logs.Entries.Where(e => e.Level >= LogLevel.Information || e.Message.Contains("Bot API")).Select(e => e.Category + ": " + e.Message).TakeLast(40)));

        // A Stripe payment: the session is created with the secret key, the signed webhook completes it.
        var user = await MoneyTestData.CreateUserAsync(_app);
        var p = await PaymentTestData.CreatePaymentAsync(_app, user.Id, "stripe", 12.34m);
        var id = p.GetProperty("id").GetInt64();
        var payload = new JsonObject
        {
            ["id"] = "evt_secret_1", ["object"] = "event", ["api_version"] = "2024-06-20", ["created"] = _app.Clock.GetUtcNow().ToUnixTimeSeconds(),
            ["livemode"] = false, ["pending_webhooks"] = 1, ["request"] = new JsonObject { ["id"] = null, ["idempotency_key"] = null },
            ["type"] = "checkout.session.completed",
            ["data"] = new JsonObject
            {
                ["object"] = new JsonObject
                {
                    ["id"] = p.GetProperty("providerPaymentId").GetString(), ["object"] = "checkout.session", ["mode"] = "payment", ["status"] = "complete",
                    ["payment_status"] = "paid", ["currency"] = "usd", ["amount_total"] = 1234, ["livemode"] = false,
                },
            },
        }.ToJsonString();
        var t = _app.Clock.GetUtcNow().ToUnixTimeSeconds();
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(SecretsAppFactory.StripeHook), Encoding.UTF8.GetBytes($"{t}.{payload}"));
        using (var client = _app.CreateClient())
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/payments/stripe/webhook") { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("Stripe-Signature", $"t={t},v1={Convert.ToHexStringLower(mac)}");
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
        }
        Assert.Equal(PaymentStatus.Completed, await _app.WithDb(db => db.Payments.Where(x => x.Id == id).Select(x => x.Status).FirstAsync()));
        // A wrong admin key and a wrong webhook secret are refused (and logged as refusals at most).
        using (var wrong = _app.CreateClient())
        {
            wrong.DefaultRequestHeaders.Authorization = new("Bearer", AppFactory.ApiKey + "x");
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/v1/admin/users")).StatusCode);
        }

        var logs = _app.Logs.Entries.ToList();
        foreach (var secret in (string[])[SecretsAppFactory.BotToken, "SECRET-tg-token", SecretsAppFactory.WebhookSecret, SecretsAppFactory.StripeKey,
                     SecretsAppFactory.StripeHook, SecretsAppFactory.AdminPassword, AppFactory.ApiKey])
        {
            var leak = logs.FirstOrDefault(e => e.All.Contains(secret, StringComparison.Ordinal));
            Assert.True(leak is null, $"'{secret}' was logged: {leak}");
        }

        // The capture really saw the calls that carry the secrets.
        Assert.Contains(logs, e => e.Message.Contains("/sendMessage"));
        Assert.Contains(logs, e => e.Category.StartsWith("System.Net.Http.HttpClient.stripe", StringComparison.Ordinal));
        Assert.Contains(logs, e => e.Message.Contains("/api/v1/telegram/webhook"));

        // Lines logged while the update was handled carry its update id and user id.
        var handling = logs.Where(e => e.ScopeValue("UpdateId") is long u && u == updateId).ToList();
        Assert.NotEmpty(handling);
        Assert.All(handling, e => Assert.Equal(userId.ToString(), e.ScopeValue("UserId")));
        Assert.Contains(handling, e => e.Category.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal));
    }
}
