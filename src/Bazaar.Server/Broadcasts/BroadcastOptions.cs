namespace Bazaar.Server.Broadcasts;

/// <summary>Section "Broadcasts". The send rates themselves are Outbox:BroadcastPerSecond and Outbox:PaidBroadcastPerSecond.</summary>
public sealed class BroadcastOptions
{
    /// <summary>How often a running broadcast hands its next share of recipients to the outbox.</summary>
    public double TickSeconds { get; set; } = 1;
    /// <summary>Recipients claimed per transaction.</summary>
    public int BatchSize { get; set; } = 500;
    /// <summary>At most this many seconds' worth of a broadcast waits in the outbox at once, so a pause takes hold at once and replies are not stuck behind it.</summary>
    public double MaxQueuedSeconds { get; set; } = 3;
    /// <summary>
    /// And never more than this many rows at once, whatever the rate: each tick reconciles every queued recipient with its
    /// outbox row, so a paid broadcast at 1,000/s (or a lifted limit) must not queue its whole audience.
    /// </summary>
    public int MaxQueued { get; set; } = 10_000;
    /// <summary>The admin's progress message is edited at most this often.</summary>
    public double ProgressEverySeconds { get; set; } = 5;
}
