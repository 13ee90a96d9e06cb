using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Bazaar.Bench;

/// <summary>A Bot API on loopback that answers sendMessage as Telegram does, counts copies per chat and keeps each send's time
/// (as the Bot API would see it) for rate figures.</summary>
internal sealed class FakeBotApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<long, int> _chats = new();
    private long _sends, _messageId, _first, _last;
    private readonly ConcurrentQueue<long> _sentAt = new();
    public string BaseUrl { get; private set; } = "";
    public long Sends => Interlocked.Read(ref _sends);
    public int DistinctChats => _chats.Count;
    public DateTime FirstAt => new(Interlocked.Read(ref _first), DateTimeKind.Utc);
    public DateTime LastAt => new(Interlocked.Read(ref _last), DateTimeKind.Utc);

    private FakeBotApi(WebApplication app) => _app = app;

    public static async Task<FakeBotApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeBotApi(app);
        app.MapPost("/bot{token}/{method}", (string token, string method, HttpContext http) => fake.HandleAsync(method, http));
        await app.StartAsync();
        fake.BaseUrl = app.Urls.First();
        return fake;
    }

    /// <summary>When each sendMessage arrived (UTC ticks), in arrival order.</summary>
    public long[] SentAtTicks() => _sentAt.ToArray();

    /// <summary>Forgets the warm-up's calls.</summary>
    public void Reset()
    {
        _chats.Clear();
        _sentAt.Clear();
        Interlocked.Exchange(ref _sends, 0);
        Interlocked.Exchange(ref _first, 0);
        Interlocked.Exchange(ref _last, 0);
    }

    private async Task<IResult> HandleAsync(string method, HttpContext http)
    {
        if (method.Equals("getMe", StringComparison.OrdinalIgnoreCase))
            return Results.Content("{\"ok\":true,\"result\":{\"id\":123456,\"is_bot\":true,\"first_name\":\"Bench\",\"username\":\"bench_bot\"}}", "application/json");
        // Every message the outbox sends (a reply may be a photo or an edit), each against the same rate limits.
        if (!(method.StartsWith("send", StringComparison.OrdinalIgnoreCase) || method.StartsWith("edit", StringComparison.OrdinalIgnoreCase)
              || method.Equals("copyMessage", StringComparison.OrdinalIgnoreCase)))
            return Results.Content("{\"ok\":true,\"result\":true}", "application/json");
        long chat = 0;
        if (http.Request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true)
        {
            using var doc = await JsonDocument.ParseAsync(http.Request.Body);
            if (doc.RootElement.TryGetProperty("chat_id", out var c))
                chat = c.ValueKind == JsonValueKind.Number ? c.GetInt64() : long.TryParse(c.GetString(), out var n) ? n : 0;
        }
        _chats.AddOrUpdate(chat, 1, (_, c) => c + 1);
        var now = DateTime.UtcNow.Ticks;
        Interlocked.CompareExchange(ref _first, now, 0);
        long last;
        do last = Interlocked.Read(ref _last); while (now > last && Interlocked.CompareExchange(ref _last, now, last) != last);
        _sentAt.Enqueue(now);
        Interlocked.Increment(ref _sends);
        var mid = Interlocked.Increment(ref _messageId);
        return Results.Content(
            $"{{\"ok\":true,\"result\":{{\"message_id\":{mid},\"date\":{DateTimeOffset.UtcNow.ToUnixTimeSeconds()},\"chat\":{{\"id\":{chat},\"type\":\"private\"}},\"text\":\"sale\"}}}}",
            "application/json");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
