namespace Bazaar.Server.Conversations;

public sealed class ConversationOptions
{
    /// <summary>How long a finished update stays in the event log.</summary>
    public int EventLogRetentionDays { get; set; } = 30;
    /// <summary>A conversation step not continued within this time is forgotten.</summary>
    public int StateTtlMinutes { get; set; } = 1440;
    public RateLimitOptions RateLimit { get; set; } = new();
    public ProcessorOptions Processor { get; set; } = new();
}

public sealed class RateLimitOptions
{
    /// <summary>Commands per user per minute; admins are exempt.</summary>
    public int PerMinute { get; set; } = 10;
    /// <summary>Button presses have their own limit, a short burst that browsing a catalog never reaches.</summary>
    public int ButtonsPerSecond { get; set; } = 5;
    public int ButtonsPerMinute { get; set; } = 60;
}

public sealed class ProcessorOptions
{
    /// <summary>Handle updates as they are stored and run the background processor (tests switch it off and call RunOnceAsync).</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>Updates claimed per batch; a batch is one transaction with a savepoint per update.</summary>
    public int BatchSize { get; set; } = 64;
    /// <summary>
    /// On SQLite, how long a processing transaction may keep the inbox writer (and so the webhook's answers) waiting
    /// before it commits and lets it in.
    /// </summary>
    public int MaxHoldMs { get; set; } = 1;
    /// <summary>How long a claim holds an update before another worker or process may take it again.</summary>
    public int LeaseSeconds { get; set; } = 60;
    /// <summary>On PostgreSQL, inbox writers that store and handle in parallel (each owns a share of the chats).</summary>
    public int Writers { get; set; } = 4;
    /// <summary>Parallel workers; on SQLite there is one writer anyway.</summary>
    public int? Workers { get; set; }
}
