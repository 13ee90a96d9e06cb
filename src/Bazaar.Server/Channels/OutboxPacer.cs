using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Channels;

/// <summary>
/// Token buckets per chat and for the global limits (all chats, broadcasts, paid broadcasts), on the injected clock.
/// On SQLite without Redis (one process) every bucket lives in this process's memory. Otherwise the global limits are the
/// cluster's: their buckets are rows of outbox_rate_buckets on PostgreSQL, or Redis keys when Redis:Connection is set
/// (<see cref="RedisLimits"/>), and a round takes its share of them in one round trip (<see cref="ReserveAsync"/>); here
/// those buckets hold the last state seen (an estimate, for picking and waking) and the tokens taken but not yet used.
/// A chat's bucket is this process's, brought down each round to what the chat's recent sends from every instance leave
/// (read from the outbox table on PostgreSQL, from a short list per chat in Redis).
/// A chat's 429 pause is not kept here: the row's NextAttemptAt holds it (and with it the chat's queue).
/// When Redis is unreachable, paced rows wait (the round is retried shortly) and urgent rows still go: they take no token.
/// </summary>
public sealed class OutboxPacer(IOptions<OutboxOptions> options, DatabaseOptions database, IServiceScopeFactory scopes,
    ILogger<OutboxPacer> log, RedisLimits? redis = null)
{
    private readonly object _gate = new();
    private readonly Dictionary<(string Channel, string ChatId), Bucket> _chats = new();
    private readonly bool _shared = redis is not null || database.Provider == DatabaseProvider.Postgres;
    private bool _rowsExist;
    private Bucket? _global;
    private Bucket? _broadcast;
    private Bucket? _paid;
    private DateTime _pausedUntil = DateTime.MinValue;

    private OutboxOptions O => options.Value;

    /// <summary>Until when Telegram asked the whole bot to wait (a 429 not tied to one chat).</summary>
    public DateTime PausedUntil { get { lock (_gate) return _pausedUntil; } }

    public void PauseAll(DateTime until)
    {
        lock (_gate) if (until > _pausedUntil) _pausedUntil = until;
    }

    /// <summary>Pauses this process and, with shared limits, every instance: their next reservation sees the pause.</summary>
    public async Task PauseAllAsync(DateTime until, DateTime now, CancellationToken ct)
    {
        PauseAll(until);
        if (!_shared) return;
        if (redis is not null)
        {
            // Redis away: this process keeps the pause; the others' next 429 tells them (and they hold paced rows anyway).
            try { await redis.PauseAsync(GlobalName, until, now, ct); }
            catch (Exception e) when (RedisLimits.IsOutage(e)) { log.LogWarning("The 429 pause until {Until:O} reached this instance only: Redis is unreachable", until); }
            return;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        await EnsureRowsAsync(db, ct);
        await OutboxSharedLimits.PauseAsync(db, GlobalName, until, ct);
    }

    /// <summary>What a reservation let through, and when the rows it held back may go.</summary>
    public sealed record Reservation(List<OutboxMessage> Rows, DateTime? WakeAt);

    /// <summary>
    /// Takes the global, broadcast and paid tokens the picked rows need from the cluster's buckets, in one round trip, and
    /// keeps the rows they cover (urgent rows need none; a chat whose row is held back keeps its later rows back too). Tokens
    /// left from the previous round go back in the same statement. On SQLite it keeps every row: the buckets are this process's.
    /// </summary>
    public async Task<Reservation> ReserveAsync(List<OutboxMessage> picked, DateTime now, CancellationToken ct)
    {
        if (!_shared) return new Reservation(picked, null);
        var need = new Dictionary<Bucket, int>();
        Bucket[] buckets;
        lock (_gate)
        {
            buckets = [Global(), Broadcast(), Paid()];
            foreach (var b in buckets) need[b] = 0;
            foreach (var m in picked.Where(m => !m.Urgent))
                foreach (var b in LaneBuckets(m.Lane)) need[b]++;
        }
        // The global row is always read: it carries the cluster's pause, which holds urgent rows too.
        var asked = buckets.Where(b => need[b] > 0 || b == buckets[0]).ToList();
        List<OutboxSharedLimits.Want> wants;
        // Tokens left over from the last round go back (a round uses its tokens before it ends, so these would otherwise
        // be lost to the cluster).
        lock (_gate) wants = asked.Select(b => new OutboxSharedLimits.Want(b.Name, need[b], b.TakeStock(), b.PerSecond, b.Capacity)).ToList();
        var heads = picked.Where(m => !m.Urgent).GroupBy(m => (m.Channel, m.ChatId))
            .Select(g => new OutboxSharedLimits.ChatHead(g.Key.Channel, g.Key.ChatId, g.Min(m => m.Id))).ToList();
        List<OutboxSharedLimits.Got> got;
        Dictionary<(string Channel, string ChatId), List<DateTime>> recent;
        try
        {
            (got, recent) = await TakeAsync(wants, heads, now, ct);
        }
        catch (Exception e)
        {
            // Nothing was taken or given back: the leftover tokens stay this process's.
            lock (_gate) foreach (var w in wants) asked.Single(b => b.Name == w.Name).AddStock(w.GiveBack);
            if (!RedisLimits.IsOutage(e)) throw;
            // Redis away: paced rows wait (sending them unpaced could break the cluster's limits); urgent rows take no token.
            lock (_gate)
            {
                if (now < _pausedUntil) return new Reservation([], _pausedUntil);
                return new Reservation(picked.Where(m => m.Urgent).ToList(), now + RedisRetry);
            }
        }

        lock (_gate)
        {
            foreach (var g in got)
            {
                var b = asked.Single(x => x.Name == g.Name);
                b.Mirror(g.Tokens, g.UpdatedAt < now ? g.UpdatedAt : now);
                b.AddStock(g.Taken);
                if (g.PausedUntil is { } p && p > _pausedUntil) _pausedUntil = p;
            }
            if (now < _pausedUntil) return new Reservation([], _pausedUntil);
            // A chat's bucket here knows only this instance's sends: bring it down to what the chat's sends from every
            // instance left (another instance may have sent the chat's earlier rows).
            foreach (var h in heads)
            {
                var chat = Chat(h.Channel, h.ChatId);
                if (recent.TryGetValue((h.Channel, h.ChatId), out var sends)) chat.LimitTo(sends, sends.Count < RecentSendsPerChat, now);
            }
            var chatRoom = heads.ToDictionary(h => (h.Channel, h.ChatId), h => (int)Chat(h.Channel, h.ChatId).Peek(now));

            var left = asked.ToDictionary(b => b, b => b.Stock);
            var heldBack = new HashSet<(string, string)>();
            var kept = new List<OutboxMessage>();
            DateTime? wakeAt = null;
            foreach (var m in picked)
            {
                if (m.Urgent) { kept.Add(m); continue; }
                var key = (m.Channel, m.ChatId);
                var lane = LaneBuckets(m.Lane).ToList();
                var empty = lane.FirstOrDefault(b => left[b] < 1);
                if (heldBack.Contains(key) || empty is not null || chatRoom[key] < 1)
                {
                    if (!heldBack.Add(key)) continue;
                    var at = empty is not null ? empty.NextAt(now) : Chat(m.Channel, m.ChatId).NextAt(now);
                    if (wakeAt is null || at < wakeAt) wakeAt = at;
                    continue;
                }
                chatRoom[key]--;
                foreach (var b in lane) left[b] -= 1;
                kept.Add(m);
            }
            return new Reservation(kept, wakeAt);
        }
    }

    private const string GlobalName = "global";

    /// <summary>How soon a round tries Redis again after it could not be reached.</summary>
    private static readonly TimeSpan RedisRetry = TimeSpan.FromSeconds(1);

    private async Task<OutboxSharedLimits.Taken> TakeAsync(List<OutboxSharedLimits.Want> wants, List<OutboxSharedLimits.ChatHead> heads,
        DateTime now, CancellationToken ct)
    {
        if (redis is not null) return await redis.TakeAsync(wants, heads, RecentSendsPerChat, now, ct);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        await EnsureRowsAsync(db, ct);
        return await OutboxSharedLimits.TakeAsync(db, wants, heads, RecentSendsPerChat, now, ct);
    }

    /// <summary>
    /// With Redis, records a paced send to the chat before the row is recorded sent (on PostgreSQL the row itself is the
    /// record), so whichever instance sends the chat's next rows counts this one. Redis away: only this process knows it.
    /// </summary>
    public async Task SentAsync(string channel, string chatId, DateTime at, CancellationToken ct)
    {
        if (redis is null) return;
        try { await redis.SentAsync(channel, chatId, at, RecentSendsPerChat, ct); }
        catch (Exception e) when (RedisLimits.IsOutage(e)) { log.LogDebug("A send to {Channel} chat {Chat} was not recorded in Redis (unreachable)", channel, chatId); }
    }

    // Enough of a chat's last sends to rebuild its bucket: the burst and a few more.
    private int RecentSendsPerChat => Math.Max(O.PrivateChatBurst, O.GroupBurst) + 3;

    private async Task EnsureRowsAsync(BazaarDb db, CancellationToken ct)
    {
        if (Volatile.Read(ref _rowsExist)) return;
        await OutboxSharedLimits.EnsureRowsAsync(db, [GlobalName, "broadcast", "paid"], ct);
        Volatile.Write(ref _rowsExist, true);
    }

    /// <summary>How many messages could go to the chat right now (without taking them).</summary>
    public int Available(string channel, string chatId, DateTime now, string? lane = null)
    {
        lock (_gate)
        {
            if (now < _pausedUntil) return 0;
            return (int)Math.Min(Chat(channel, chatId).Peek(now), LaneRoom(lane, now));
        }
    }

    /// <summary>How many messages could go out right now across all chats.</summary>
    public int GlobalAvailable(DateTime now)
    {
        lock (_gate) return now < _pausedUntil ? 0 : (int)Room(Global(), now);
    }

    /// <summary>How many rows of a lane (null: replies and notifications) could go out right now across all chats.</summary>
    public int LaneAvailable(string? lane, DateTime now)
    {
        lock (_gate) return now < _pausedUntil ? 0 : (int)LaneRoom(lane, now);
    }

    /// <summary>Takes one message's worth from the chat and the lane's buckets, or nothing.</summary>
    public bool TryTake(string channel, string chatId, DateTime now, string? lane = null)
    {
        lock (_gate)
        {
            if (now < _pausedUntil) return false;
            var chat = Chat(channel, chatId);
            if (chat.Peek(now) < 1) return false;
            // Shared: only tokens this process took from the cluster's buckets may be spent.
            if (_shared ? LaneBuckets(lane).Any(b => b.Stock < 1) : LaneRoom(lane, now) < 1) return false;
            chat.Take();
            foreach (var b in LaneBuckets(lane))
            {
                if (_shared) b.AddStock(-1);
                else b.Take();
            }
            if (_chats.Count > 10_000) Prune(now);
            return true;
        }
    }

    // Replies take from the global bucket; broadcasts from theirs and the global one; paid broadcasts only from theirs.
    private IEnumerable<Bucket> LaneBuckets(string? lane) => lane switch
    {
        OutboxLanes.Broadcast => [Global(), Broadcast()],
        OutboxLanes.PaidBroadcast => [Paid()],
        _ => [Global()],
    };

    private double LaneRoom(string? lane, DateTime now)
    {
        var room = double.MaxValue;
        foreach (var b in LaneBuckets(lane)) room = Math.Min(room, Room(b, now));
        return room;
    }

    // Shared: the tokens in hand plus what the cluster's bucket had when last seen, refilled since (an estimate).
    private double Room(Bucket b, DateTime now) => _shared ? b.Stock + b.Peek(now) : b.Peek(now);

    private DateTime NextAt(Bucket b, DateTime now) => _shared && b.Stock >= 1 ? now : b.NextAt(now);

    /// <summary>"channel:chat" of every chat that cannot get a message right now.</summary>
    public string[] ThrottledChats(DateTime now)
    {
        lock (_gate) return _chats.Where(c => c.Value.Peek(now) < 1).Select(c => c.Key.Channel + ":" + c.Key.ChatId).ToArray();
    }

    /// <summary>When the chat can get its next message.</summary>
    public DateTime NextAvailableAt(string channel, string chatId, DateTime now, string? lane = null)
    {
        lock (_gate)
        {
            var at = Chat(channel, chatId).NextAt(now);
            foreach (var b in LaneBuckets(lane)) at = Max(at, NextAt(b, now));
            return Max(at, _pausedUntil);
        }
    }

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    private Bucket Global() => _global ??= PerSecond(GlobalName, O.GlobalPerSecond);

    private Bucket Broadcast() => _broadcast ??= PerSecond("broadcast", O.BroadcastPerSecond);

    private Bucket Paid() => _paid ??= PerSecond("paid", Math.Min(1000, O.PaidBroadcastPerSecond));

    private static Bucket PerSecond(string name, int rate) => new(Math.Max(1, rate), TimeSpan.FromSeconds(1.0 / Math.Max(1, rate)), name);

    private Bucket Chat(string channel, string chatId)
    {
        if (!_chats.TryGetValue((channel, chatId), out var b))
        {
            // Telegram: negative ids are groups, supergroups and channels.
            b = chatId.StartsWith('-')
                ? new Bucket(Math.Max(1, O.GroupBurst), TimeSpan.FromMinutes(1.0 / Math.Max(1, O.GroupPerMinute)))
                : new Bucket(Math.Max(1, O.PrivateChatBurst), TimeSpan.FromSeconds(Math.Max(0.001, O.PrivateChatIntervalSeconds)));
            _chats[(channel, chatId)] = b;
        }
        return b;
    }

    private void Prune(DateTime now)
    {
        foreach (var (key, bucket) in _chats.ToList())
        {
            if (bucket.Peek(now) >= bucket.Capacity) _chats.Remove(key);
        }
    }

    private sealed class Bucket(int capacity, TimeSpan period, string name = "chat")
    {
        public int Capacity => capacity;
        public string Name => name;
        public double PerSecond => 1 / period.TotalSeconds;
        private double _tokens = capacity;
        private DateTime _at = DateTime.MinValue;

        /// <summary>Shared buckets: tokens this process took from the cluster's row and has not used yet.</summary>
        public double Stock { get; private set; }

        public void AddStock(double n) => Stock += n;

        public double TakeStock()
        {
            var s = Stock;
            Stock = 0;
            return s;
        }

        /// <summary>
        /// Lowers the bucket to what these sends (newest first, from every instance) leave, replayed from the oldest of
        /// them: from a full bucket when they are all the chat's sends (<paramref name="all"/>). Otherwise all that is
        /// known is that each send found at least one token, so the replay never lets the level before a send fall below
        /// one: that never overestimates (a full bucket would, after a burst followed by sends at the rate) and matches
        /// the bucket exactly after a burst.
        /// </summary>
        public void LimitTo(IReadOnlyList<DateTime> newestFirst, bool all, DateTime now)
        {
            if (newestFirst.Count == 0) return;
            var at = newestFirst[^1];
            double after = 0;
            for (var i = newestFirst.Count - 1; i >= 0; i--)
            {
                var t = newestFirst[i] > at ? newestFirst[i] : at;
                var before = i == newestFirst.Count - 1 ? (all ? capacity : 1) : Math.Max(1, Math.Min(capacity, after + (t - at) / period));
                after = before - 1;
                at = t;
            }
            var tokens = now > at ? Math.Min(capacity, after + (now - at) / period) : after;
            if (tokens < Peek(now)) _tokens = tokens;
        }

        /// <summary>Shared buckets: the cluster's row as the last statement returned it.</summary>
        public void Mirror(double tokens, DateTime at)
        {
            _tokens = tokens;
            _at = at;
        }

        public double Peek(DateTime now)
        {
            if (_at == DateTime.MinValue) _at = now;
            if (now > _at)
            {
                _tokens = Math.Min(capacity, _tokens + (now - _at) / period);
                _at = now;
            }
            return _tokens;
        }

        public void Take() => _tokens -= 1;

        public DateTime NextAt(DateTime now)
        {
            var t = Peek(now);
            return t >= 1 ? now : now + period * (1 - t);
        }
    }
}
