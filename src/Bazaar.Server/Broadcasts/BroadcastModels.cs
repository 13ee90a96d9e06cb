using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.Broadcasts;

/// <summary>Stored as these names (EF's string conversion); raw SQL spells them with nameof.</summary>
public enum BroadcastStatus { Draft, Running, Paused, Cancelled, Completed }

/// <summary>
/// One recipient's progress: Pending (not yet handed over), Queued (its outbox message is enqueued), then what the
/// outbox made of it: Sent, Failed (rejected or gave up), Blocked (403, or blocked before it went). Cancelled when the
/// broadcast was cancelled before the message was handed over or sent.
/// </summary>
public enum RecipientState { Pending, Queued, Sent, Failed, Blocked, Cancelled }

/// <summary>A URL button under the broadcast (one row per inner list).</summary>
public sealed record BroadcastButton(string Text, string Url);

/// <summary>
/// A message to many users: HTML text (a photo's caption when <see cref="Photo"/> is set), optional URL buttons, a
/// segment. It runs as a chain of <c>broadcasts.run</c> jobs; each hands a paced share of the recipients to the outbox.
/// </summary>
public sealed class Broadcast
{
    public long Id { get; set; }
    /// <summary>Telegram HTML (b, i, u, s, a, code, pre, blockquote, tg-spoiler).</summary>
    public required string Text { get; set; }
    /// <summary>A photo Telegram has (file_id) or fetches (http URL); the text is its caption then.</summary>
    public string? Photo { get; set; }
    /// <summary>Rows of <see cref="BroadcastButton"/> as JSON.</summary>
    public string? Buttons { get; set; }
    /// <summary><see cref="Segments"/>: all, language, purchased, never_purchased, tier, giveaway, ids.</summary>
    public required string Segment { get; set; }
    /// <summary>The segment's parameter: a language code, a tier code, a giveaway id, or the ids as a JSON array.</summary>
    public string? SegmentValue { get; set; }
    public BroadcastStatus Status { get; set; } = BroadcastStatus.Draft;
    /// <summary>Sends with allow_paid_broadcast (Telegram charges Stars) at up to Outbox:PaidBroadcastPerSecond.</summary>
    public bool AllowPaidBroadcast { get; set; }
    /// <summary>The operator or bot admin who started it.</summary>
    public required string CreatedBy { get; set; }
    /// <summary>The admin's user: they get the test copy first and the progress message.</summary>
    public long? AdminUserId { get; set; }
    /// <summary>The progress message's outbox row, and its Telegram message id once sent (to edit it).</summary>
    public long? ProgressOutboxId { get; set; }
    public int? ProgressMessageId { get; set; }
    public DateTime? ProgressAt { get; set; }
    /// <summary>Recipients chosen when it first ran (the segment's snapshot); null until then.</summary>
    public int? Total { get; set; }
    /// <summary>The number of the tick job that may run next; an older job finding a newer number does nothing.</summary>
    public int Tick { get; set; }
    /// <summary>When recipients were last handed to the outbox (the pacing's clock).</summary>
    public DateTime? FedAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }

    public IReadOnlyList<IReadOnlyList<BroadcastButton>> ButtonRows() =>
        Buttons is null ? [] : JsonSerializer.Deserialize<List<List<BroadcastButton>>>(Buttons, JsonSerializerOptions.Web) ?? [];
}

/// <summary>
/// A broadcast's recipient. The key (broadcast, user) makes one copy per user; the state moves forward only, and the
/// outbox message is enqueued in the same transaction that moves it off Pending, so a restart never sends a second copy.
/// </summary>
public sealed class BroadcastRecipient
{
    public long BroadcastId { get; set; }
    public long UserId { get; set; }
    public required string Channel { get; set; }
    public required string ChatId { get; set; }
    public RecipientState State { get; set; } = RecipientState.Pending;
    public long? OutboxMessageId { get; set; }
    public DateTime? QueuedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
}

internal sealed class BroadcastMaps : IEntityTypeConfiguration<Broadcast>, IEntityTypeConfiguration<BroadcastRecipient>
{
    public void Configure(EntityTypeBuilder<Broadcast> b)
    {
        b.ToTable("broadcasts");
        b.Property(x => x.Text).HasMaxLength(4096);
        b.Property(x => x.Photo).HasMaxLength(1024);
        b.Property(x => x.Buttons).HasMaxLength(8000);
        b.Property(x => x.Segment).HasMaxLength(32);
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.CreatedBy).HasMaxLength(128);
        b.HasIndex(x => new { x.Status, x.Id });
    }

    public void Configure(EntityTypeBuilder<BroadcastRecipient> b)
    {
        b.ToTable("broadcast_recipients");
        b.HasKey(x => new { x.BroadcastId, x.UserId });
        b.Property(x => x.Channel).HasMaxLength(16);
        b.Property(x => x.ChatId).HasMaxLength(64);
        b.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
        b.HasIndex(x => new { x.BroadcastId, x.State, x.UserId });
        b.HasOne<Broadcast>().WithMany().HasForeignKey(x => x.BroadcastId).OnDelete(DeleteBehavior.Cascade);
    }
}
