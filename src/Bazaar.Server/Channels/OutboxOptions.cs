namespace Bazaar.Server.Channels;

/// <summary>The sender's limits and timings (section "Outbox"). Defaults follow Telegram's published flood limits.</summary>
public sealed class OutboxOptions
{
    /// <summary>Runs the background sender. Off, rows stay queued (tests step the sender themselves).</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>Sustained rate per private chat: one message every this many seconds.</summary>
    public double PrivateChatIntervalSeconds { get; set; } = 1;
    /// <summary>How many messages a private chat may get at once before the rate applies.</summary>
    public int PrivateChatBurst { get; set; } = 3;
    /// <summary>Sustained rate per group or channel (negative chat id).</summary>
    public int GroupPerMinute { get; set; } = 20;
    public int GroupBurst { get; set; } = 3;
    /// <summary>All chats together, per sender process.</summary>
    public int GlobalPerSecond { get; set; } = 30;
    /// <summary>Broadcast rows, per sender process; they count against <see cref="GlobalPerSecond"/> too, so replies keep the rest.</summary>
    public int BroadcastPerSecond { get; set; } = 25;
    /// <summary>Broadcast rows sent with allow_paid_broadcast (Telegram charges Stars beyond the free 30/s): up to 1000/s, outside the global budget.</summary>
    public int PaidBroadcastPerSecond { get; set; } = 1000;
    /// <summary>
    /// How long transient failures (network errors, timeouts, 5xx) are retried, from the first failure in a row, before
    /// a message ends as Failed: a Bot API outage of minutes must not lose a reply. 429s never count.
    /// </summary>
    public double RetryWindowMinutes { get; set; } = 60;
    /// <summary>A callback or pre-checkout answer not sent within this many seconds is useless (Telegram refuses it) and expires.</summary>
    public double AnswerExpirySeconds { get; set; } = 15;
    /// <summary>An edit of an earlier message (a menu, a keyboard) not sent within this many hours expires; new messages never do.</summary>
    public double EditExpiryHours { get; set; } = 24;
    /// <summary>The first retry waits about this long; each further one twice as long (with jitter), up to the max.</summary>
    public double RetryBaseSeconds { get; set; } = 2;
    public double RetryMaxSeconds { get; set; } = 60;
    /// <summary>How long a claim lasts; a crashed sender's rows are taken over after it.</summary>
    public double LeaseSeconds { get; set; } = 120;
    /// <summary>How often the sender looks for due rows when nothing was enqueued in this process.</summary>
    public double PollSeconds { get; set; } = 1;
    /// <summary>Rows claimed per round.</summary>
    public int BatchSize { get; set; } = 100;
    /// <summary>
    /// Sent rows are recorded this many at a time, or once the oldest unrecorded one is <see cref="SentFlushMilliseconds"/>
    /// old, and at the end of each round. A crash before the record resends those rows after their lease (the Bot API has
    /// no idempotency key): at 30 messages/s that is a quarter second's worth; at thousands a second, one flush. Each
    /// flush is one transaction: fewer, larger ones write far fewer database pages.
    /// </summary>
    public int SentFlushSize { get; set; } = 128;
    public double SentFlushMilliseconds { get; set; } = 250;
    /// <summary>Chats served at the same time within one round.</summary>
    public int Parallelism { get; set; } = 8;
    /// <summary>Finished rows (sent, failed, dropped) older than this are deleted.</summary>
    public int RetentionDays { get; set; } = 30;
}
