using System.Globalization;
using Bazaar.Server.Channels;
using Bazaar.Server.Channels.Telegram;
using Bazaar.Server.Channels.WhatsApp;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Bazaar.Server.Hosting;

public sealed class RedisOptions
{
    /// <summary>A StackExchange.Redis configuration string ("host:port,password=..."); empty keeps the limits in the database.</summary>
    public string? Connection { get; set; }

    /// <summary>
    /// Namespaces the keys ("bazaar:{prefix}:..."), so several bots or databases can share one Redis. Every instance of one
    /// deployment must use the same. Default: the Telegram bot's id, else the WhatsApp phone number id, else "bazaar".
    /// </summary>
    public string? Prefix { get; set; }
}

/// <summary>
/// The cluster-wide limits in Redis, when Redis:Connection is set: the outbox's shared token buckets and the 429 pause,
/// each chat's recent sends (per-chat pacing), and the per-user command and button windows. The same semantics as the
/// PostgreSQL rows they replace, each change one atomic Lua script. Time is the caller's (the injected clock), never
/// Redis's TIME, so every instance and every test agrees on it. Keys expire once their state no longer matters.
/// Callers decide what an unreachable Redis means (they catch <see cref="RedisException"/>): the outbox holds paced
/// messages and retries, the per-user limit lets the update through.
/// </summary>
public sealed class RedisLimits : IDisposable
{
    private readonly ConfigurationOptions _config;
    private Task<ConnectionMultiplexer> _redis;
    private readonly string _keys;
    private readonly ILogger<RedisLimits> _log;
    private int _down;

    public RedisLimits(IOptions<RedisOptions> options, IOptions<TelegramOptions> telegram, IOptions<WhatsAppOptions> whatsApp, ILogger<RedisLimits> log)
    {
        _log = log;
        _config = Parse(options.Value.Connection!);
        // Connecting starts now, in the background: the first round or update finds it ready.
        _redis = ConnectionMultiplexer.ConnectAsync(_config);
        _keys = $"bazaar:{{{PrefixOf(options.Value, telegram.Value, whatsApp.Value)}}}:";
    }

    /// <summary>The key prefix in use, "bazaar:{prefix}:" (braces: one Redis Cluster slot, as multi-key scripts need).</summary>
    public string KeyPrefix => _keys;

    internal static string PrefixOf(RedisOptions o, TelegramOptions telegram, WhatsAppOptions whatsApp)
    {
        if (!string.IsNullOrWhiteSpace(o.Prefix)) return o.Prefix.Trim();
        // A bot token is "<bot id>:<secret>": only the public id goes into key names.
        if (telegram.BotToken?.Split(':')[0] is { Length: > 0 } bot && bot.All(char.IsAsciiDigit)) return "tg" + bot;
        if (!string.IsNullOrWhiteSpace(whatsApp.PhoneNumberId)) return "wa" + whatsApp.PhoneNumberId.Trim();
        return "bazaar";
    }

    /// <summary>
    /// The options this server connects with. An unreachable Redis at start-up does not stop the server (it keeps trying
    /// in the background), and while it is away a command fails at once instead of queueing for seconds.
    /// </summary>
    internal static ConfigurationOptions Parse(string connection)
    {
        var c = ConfigurationOptions.Parse(connection);
        if (c.EndPoints.Count == 0) throw new ArgumentException("it names no server (expected e.g. 127.0.0.1:6379)");
        c.AbortOnConnectFail = false;
        c.BacklogPolicy = BacklogPolicy.FailFast;
        c.ClientName ??= "bazaar";
        return c;
    }

    /// <summary>Whether this exception means Redis could not be reached or did not answer in time (not a bug to surface).</summary>
    public static bool IsOutage(Exception e) => e is RedisConnectionException or RedisTimeoutException;

    private async Task<IDatabase> DbAsync()
    {
        var connecting = _redis;
        try
        {
            return (await connecting).GetDatabase();
        }
        catch (Exception e) when (e is not RedisException)
        {
            // Not expected with AbortOnConnectFail off; start over rather than keep a failed connection task forever.
            _ = Interlocked.CompareExchange(ref _redis, ConnectionMultiplexer.ConnectAsync(_config), connecting);
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None, "Could not connect to Redis: " + e.Message, e,
                CommandStatus.WaitingToBeSent);
        }
    }

    // Refills each bucket to now, adds back the caller's unused tokens and takes up to the wanted count (nothing while the
    // bucket is paused); then reads the chats' last sends, newest first. A missing bucket is empty and dated 1970, so the
    // first take finds it full. KEYS: the buckets, then the chats' send lists. ARGV: now (ms), bucket count, sends per chat,
    // ttl (ms), then per bucket: want, give back, rate per second, capacity.
    private const string TakeScript = """
        local now = tonumber(ARGV[1])
        local nb = tonumber(ARGV[2])
        local k = tonumber(ARGV[3])
        local ttl = tonumber(ARGV[4])
        local out = {}
        for i = 1, nb do
          local j = 4 + (i - 1) * 4
          local want, back, rate, cap = tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2]), tonumber(ARGV[j + 3]), tonumber(ARGV[j + 4])
          local s = redis.call('HMGET', KEYS[i], 'tokens', 'at', 'paused')
          local tokens, at, paused = tonumber(s[1]) or 0, tonumber(s[2]) or 0, tonumber(s[3]) or 0
          local level = math.min(cap, tokens + back + math.max(0, now - at) / 1000 * rate)
          local taken = 0
          if paused <= now then taken = math.min(want, math.floor(level)) end
          if now > at then at = now end
          redis.call('HSET', KEYS[i], 'tokens', tostring(level - taken), 'at', string.format('%d', at))
          redis.call('PEXPIRE', KEYS[i], math.max(ttl, paused - now + ttl))
          out[i] = {taken, tostring(level - taken), string.format('%d', at), string.format('%d', paused)}
        end
        for i = nb + 1, #KEYS do
          out[i] = redis.call('LRANGE', KEYS[i], 0, k - 1)
        end
        return out
        """;

    // Never shortens a longer pause. ARGV: until (ms), now (ms), ttl (ms).
    private const string PauseScript = """
        local untilv, now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local paused = tonumber(redis.call('HGET', KEYS[1], 'paused')) or 0
        if untilv > paused then
          paused = untilv
          redis.call('HSET', KEYS[1], 'paused', string.format('%d', paused))
        end
        redis.call('PEXPIRE', KEYS[1], math.max(ttl, paused - now + ttl))
        return 1
        """;

    // A chat's paced send, newest first; the list keeps what rebuilding the chat's bucket needs. ARGV: at (ms), keep, ttl (ms).
    private const string SentScript = """
        redis.call('LPUSH', KEYS[1], ARGV[1])
        redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 1
        """;

    // One event in a fixed window: a new window when the last one started at or before the cutoff. ARGV: now, cutoff, ttl (ms).
    private const string CountScript = """
        local now, cutoff = tonumber(ARGV[1]), tonumber(ARGV[2])
        local s = redis.call('HMGET', KEYS[1], 'start', 'count')
        local start, count = tonumber(s[1]), tonumber(s[2])
        if start ~= nil and count ~= nil and start > cutoff then count = count + 1 else start = now; count = 1 end
        redis.call('HSET', KEYS[1], 'start', string.format('%d', start), 'count', count)
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return {count, string.format('%d', start)}
        """;

    /// <summary>
    /// How long state is kept after its last change. A bucket untouched this long is full again and a chat's sends this old
    /// no longer limit it, so a key that expired is the same as one that is there: only memory is saved.
    /// </summary>
    private static readonly long KeepMs = (long)TimeSpan.FromHours(1).TotalMilliseconds;

    private static long Ms(DateTime t) => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToUnixTimeMilliseconds();

    private static DateTime At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;

    private RedisKey Bucket(string name) => _keys + "outbox:bucket:" + name;

    private RedisKey ChatSends(string channel, string chatId) => _keys + "outbox:chat:" + channel + ":" + chatId;

    /// <summary>The Redis side of <see cref="OutboxSharedLimits.TakeAsync"/>: the same refill-and-take, the same answer.</summary>
    internal async Task<OutboxSharedLimits.Taken> TakeAsync(IReadOnlyList<OutboxSharedLimits.Want> wants,
        IReadOnlyList<OutboxSharedLimits.ChatHead> chats, int perChat, DateTime now, CancellationToken ct)
    {
        var keys = wants.Select(w => Bucket(w.Name)).Concat(chats.Select(c => ChatSends(c.Channel, c.ChatId))).ToArray();
        var args = new List<RedisValue> { Ms(now), wants.Count, perChat, KeepMs };
        foreach (var w in wants)
        {
            args.Add(w.Count);
            args.Add(w.GiveBack.ToString("R", CultureInfo.InvariantCulture));
            args.Add(w.PerSecond.ToString("R", CultureInfo.InvariantCulture));
            args.Add(w.Capacity.ToString("R", CultureInfo.InvariantCulture));
        }
        var result = (RedisResult[])(await Run(TakeScript, keys, args.ToArray(), ct))!;
        var got = new List<OutboxSharedLimits.Got>();
        for (var i = 0; i < wants.Count; i++)
        {
            var r = (RedisResult[])result[i]!;
            var paused = (long)r[3];
            got.Add(new OutboxSharedLimits.Got(wants[i].Name, (int)r[0], double.Parse((string)r[1]!, CultureInfo.InvariantCulture),
                At((long)r[2]), paused > 0 ? At(paused) : null));
        }
        var sends = new Dictionary<(string, string), List<DateTime>>();
        for (var i = 0; i < chats.Count; i++)
        {
            var list = (RedisResult[])result[wants.Count + i]!;
            if (list.Length > 0) sends[(chats[i].Channel, chats[i].ChatId)] = list.Select(x => At((long)x)).ToList();
        }
        return new OutboxSharedLimits.Taken(got, sends);
    }

    /// <summary>Pauses the bucket (every instance's next take gets nothing from it) until <paramref name="until"/>.</summary>
    public Task PauseAsync(string name, DateTime until, DateTime now, CancellationToken ct) =>
        Run(PauseScript, [Bucket(name)], [Ms(until), Ms(now), KeepMs], ct);

    /// <summary>Records a paced send to a chat, before the row is recorded sent: whichever instance sends the chat's next row sees it.</summary>
    public Task SentAsync(string channel, string chatId, DateTime at, int keep, CancellationToken ct) =>
        Run(SentScript, [ChatSends(channel, chatId)], [Ms(at), keep, KeepMs], ct);

    /// <summary>The Redis side of the per-user window upsert: the event's count in its window and when the window started.</summary>
    public async Task<(int Count, long Start)> CountAsync(string channel, string key, long nowMs, long windowMs, CancellationToken ct)
    {
        var r = (RedisResult[])(await Run(CountScript, [_keys + "ratelimit:" + channel + ":" + key],
            [nowMs, nowMs - windowMs, windowMs + 60_000], ct))!;
        return ((int)r[0], (long)r[1]);
    }

    private async Task<RedisResult> Run(string script, RedisKey[] keys, RedisValue[] args, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        try
        {
            var r = await (await DbAsync()).ScriptEvaluateAsync(script, keys, args);
            if (Interlocked.Exchange(ref _down, 0) == 1) _log.LogInformation("Redis answers again: the cluster-wide limits are shared again");
            return r;
        }
        catch (Exception e) when (IsOutage(e))
        {
            // One warning per outage, not one per update or outbox round.
            if (Interlocked.Exchange(ref _down, 1) == 0)
                _log.LogWarning(e, "Redis is unreachable: the outbox holds paced messages until it answers (urgent answers still go) " +
                    "and the per-user rate limit lets updates through unlimited");
            throw;
        }
    }

    public void Dispose()
    {
        if (_redis.IsCompletedSuccessfully) _redis.Result.Dispose();
    }
}

public static class RedisLimitsModule
{
    /// <summary>Registers <see cref="RedisLimits"/> only when Redis:Connection is set; otherwise nothing asks for it.</summary>
    public static IServiceCollection AddRedisLimits(this IServiceCollection services, IConfiguration config)
    {
        var section = config.GetSection("Redis");
        services.Configure<RedisOptions>(section);
        if (!string.IsNullOrWhiteSpace(section["Connection"])) services.AddSingleton<RedisLimits>();
        return services;
    }
}
