using Microsoft.Extensions.Options;

namespace Bazaar.Server.Channels;

/// <summary>
/// Token buckets per chat and for the whole process, on the injected clock. Shared by every sender loop of
/// the process; with several processes each keeps its own, so give each a share of the global rate.
/// A chat's 429 pause is not kept here: the row's NextAttemptAt holds it (and with it the chat's queue).
/// </summary>
public sealed class OutboxPacer(IOptions<OutboxOptions> options)
{
    private readonly object _gate = new();
    private readonly Dictionary<(string Channel, string ChatId), Bucket> _chats = new();
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
        lock (_gate) return now < _pausedUntil ? 0 : (int)Global().Peek(now);
    }

    /// <summary>When the global rate next has room for one message.</summary>
    public DateTime GlobalNextAt(DateTime now)
    {
        lock (_gate) return Max(Global().NextAt(now), _pausedUntil);
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
            if (chat.Peek(now) < 1 || LaneRoom(lane, now) < 1) return false;
            chat.Take();
            foreach (var b in LaneBuckets(lane)) b.Take();
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
        foreach (var b in LaneBuckets(lane)) room = Math.Min(room, b.Peek(now));
        return room;
    }

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
            foreach (var b in LaneBuckets(lane)) at = Max(at, b.NextAt(now));
            return Max(at, _pausedUntil);
        }
    }

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    private Bucket Global() => _global ??= new Bucket(Math.Max(1, O.GlobalPerSecond), TimeSpan.FromSeconds(1.0 / Math.Max(1, O.GlobalPerSecond)));

    private Bucket Broadcast() => _broadcast ??= PerSecond(O.BroadcastPerSecond);

    private Bucket Paid() => _paid ??= PerSecond(Math.Min(1000, O.PaidBroadcastPerSecond));

    private static Bucket PerSecond(int rate) => new(Math.Max(1, rate), TimeSpan.FromSeconds(1.0 / Math.Max(1, rate)));

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

    private sealed class Bucket(int capacity, TimeSpan period)
    {
        public int Capacity => capacity;
        private double _tokens = capacity;
        private DateTime _at = DateTime.MinValue;

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
