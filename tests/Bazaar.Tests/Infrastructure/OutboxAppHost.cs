using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Tests.Fakes;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Infrastructure;

/// <summary>A server whose Telegram client points at a fresh fake Bot API, with helpers to enqueue and inspect the outbox.</summary>
public sealed class OutboxAppHost : IAsyncDisposable
{
    public FakeBotApi Api { get; }
    public AppFactory App { get; }
    private readonly bool _ownsApi;

    private OutboxAppHost(FakeBotApi api, AppFactory app, bool ownsApi)
    {
        Api = api;
        App = app;
        _ownsApi = ownsApi;
    }

    public static async Task<OutboxAppHost> StartAsync(params (string Key, string Value)[] settings) =>
        await StartAsync(null, null, settings);

    /// <summary>Starts a server; with <paramref name="database"/> it shares another server's database (a second process or a restart).</summary>
    public static async Task<OutboxAppHost> StartAsync(FakeBotApi? api, TestDatabase? database, params (string Key, string Value)[] settings)
    {
        var ownsApi = api is null;
        api ??= await FakeBotApi.StartAsync();
        var app = new AppFactory().With("Telegram:BotToken", "123456:TEST").With("Telegram:WebhookSecret", "outbox-test-secret")
            .With("Telegram:ApiBaseUrl", api.BaseUrl);
        if (database is not null) app.OnDatabase(database);
        foreach (var (k, v) in settings) app.With(k, v);
        await app.InitializeAsync();
        // Start-up may call the Bot API itself (getMe, setMyCommands); the tests look at what the outbox sends.
        api.Clear();
        return new OutboxAppHost(api, app, ownsApi);
    }

    public OutboxSender Sender => App.Services.GetRequiredService<OutboxSender>();

    public DateTime Now => App.Clock.GetUtcNow().UtcDateTime;

    public static ChatTarget Chat(string chatId, long? userId = null) => new(ChatChannel.Telegram, chatId, userId);

    /// <summary>Enqueues in one unit of work, as a handler would, and returns the new rows' ids.</summary>
    public async Task<long[]> Enqueue(Func<Outbox, IEnumerable<OutboxMessage>> work)
    {
        await using var scope = App.Services.CreateAsyncScope();
        var outbox = scope.ServiceProvider.GetRequiredService<Outbox>();
        var rows = work(outbox).ToList();
        await scope.ServiceProvider.GetRequiredService<BazaarDb>().SaveChangesAsync();
        return rows.Select(r => r.Id).ToArray();
    }

    public Task<long[]> Texts(string chatId, params string[] texts) =>
        Enqueue(o => texts.Select(t => o.SendText(Chat(chatId), t)).ToList());

    public Task<OutboxMessage> Row(long id) =>
        App.WithDb(db => db.Outbox.AsNoTracking().SingleAsync(m => m.Id == id));

    public Task<OutboxSender.Round> RunOnce() => Sender.RunOnceAsync(CancellationToken.None);

    /// <summary>Texts of the sendMessage calls that reached the fake for a chat, in arrival order.</summary>
    public List<string?> SentTexts(string chatId) =>
        Api.CallsOf("sendMessage").Where(c => c.Str("chat_id") == chatId).Select(c => c.Str("text")).ToList();

    public void Advance(TimeSpan by) => App.Clock.Advance(by);

    /// <summary>Wakes the background loop as an enqueue would (always true, to use inside conditions).</summary>
    public bool Nudge()
    {
        App.Services.GetRequiredService<OutboxSignal>().Notify();
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await ((IAsyncLifetime)App).DisposeAsync();
        if (_ownsApi) await Api.DisposeAsync();
    }
}
