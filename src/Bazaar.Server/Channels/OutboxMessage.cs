using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.Channels;

public enum OutboxStatus
{
    /// <summary>Waiting for the sender (possibly until <see cref="OutboxMessage.NextAttemptAt"/>).</summary>
    Pending,
    /// <summary>Claimed by a sender until <see cref="OutboxMessage.LockedUntil"/>; reclaimed after that if the sender died.</summary>
    Sending,
    Sent,
    /// <summary>Gave up after the retry bound, or the request itself was rejected (400).</summary>
    Failed,
    /// <summary>Not sent because the recipient blocked the bot.</summary>
    Dropped,
    /// <summary>Not sent because it went stale first (a callback answer after seconds, a menu edit after a day); see LastError.</summary>
    Expired,
}

/// <summary>The one spelling of each <see cref="OutboxStatus"/> as stored: EF's conversion and raw SQL both use it.</summary>
public static class OutboxStatusText
{
    public const string Pending = "Pending";
    public const string Sending = "Sending";
    public const string Sent = "Sent";
    public const string Failed = "Failed";
    public const string Dropped = "Dropped";
    public const string Expired = "Expired";

    public static string Of(OutboxStatus s) => s switch
    {
        OutboxStatus.Pending => Pending,
        OutboxStatus.Sending => Sending,
        OutboxStatus.Sent => Sent,
        OutboxStatus.Failed => Failed,
        OutboxStatus.Dropped => Dropped,
        OutboxStatus.Expired => Expired,
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static OutboxStatus Parse(string s) => s switch
    {
        Pending => OutboxStatus.Pending,
        Sending => OutboxStatus.Sending,
        Sent => OutboxStatus.Sent,
        Failed => OutboxStatus.Failed,
        Dropped => OutboxStatus.Dropped,
        Expired => OutboxStatus.Expired,
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };
}

/// <summary>Where a message goes: the channel, the chat there, and the chat user when known.</summary>
public sealed record ChatTarget(string Channel, string ChatId, long? UserId = null);

/// <summary>
/// One Bot API call waiting to be made. Handlers never call the Bot API themselves: they add an
/// outbox row in the same transaction as their state change, and the sender delivers it later
/// within the channel's flood limits.
/// </summary>
public sealed class OutboxMessage : IHasId
{
    public long Id { get; set; }
    public required string Channel { get; set; }
    public required string ChatId { get; set; }
    public long? UserId { get; set; }
    /// <summary>The Bot API method, e.g. sendMessage, editMessageText, answerCallbackQuery.</summary>
    public required string Method { get; set; }
    /// <summary>The method's parameters as the Bot API's JSON (Telegram.Bot's request type, serialized).</summary>
    public required string Payload { get; set; }
    /// <summary>Time-critical answers (answerCallbackQuery, answerPreCheckoutQuery) skip the pacing.</summary>
    public bool Urgent { get; set; }
    public OutboxStatus Status { get; set; } = OutboxStatus.Pending;
    public int Attempts { get; set; }
    /// <summary>When the current run of transient failures began; transient failures are retried for a time window from it.</summary>
    public DateTime? FailingSince { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? SentAt { get; set; }
    public string? LastError { get; set; }
    /// <summary>The inbound update that caused this message, when there was one (tracing, sandbox replies).</summary>
    public long? InboundUpdateId { get; set; }
    /// <summary>What the Bot API answered, e.g. the sent Message as JSON.</summary>
    public string? Result { get; set; }
    /// <summary>The claim of the sender working on the row (a fresh token per claim).</summary>
    public string? LockedBy { get; set; }
    /// <summary>The claim's lease; past it another sender may take the row over.</summary>
    public DateTime? LockedUntil { get; set; }
    /// <summary>A notification's template (JSON of <see cref="OutboxTemplate"/>), for channels that need one outside a reply window (WhatsApp).</summary>
    public string? Template { get; set; }
    /// <summary>The channel's id of the sent message (WhatsApp's wamid), which its delivery callbacks name.</summary>
    public string? ExternalId { get; set; }
    /// <summary>What the channel last reported: sent, delivered, read, failed; or undeliverable (never sent, see LastError).</summary>
    public string? DeliveryStatus { get; set; }
    public DateTime? DeliveryUpdatedAt { get; set; }
    /// <summary>Null for replies and notifications; <see cref="OutboxLanes"/> for bulk rows that have a budget of their own.</summary>
    public string? Lane { get; set; }
}

/// <summary>
/// Bulk rows (broadcasts) take from a budget of their own as well as the global one, so a broadcast never uses up the
/// whole bot's rate; paid broadcasts (allow_paid_broadcast) take from the paid budget instead of the global one.
/// </summary>
public static class OutboxLanes
{
    public const string Broadcast = "broadcast";
    public const string PaidBroadcast = "paid_broadcast";
}

/// <summary>A notification's template key (configured per channel, e.g. WhatsApp:Templates:&lt;key&gt;) and its parameters.</summary>
public sealed record OutboxTemplate(string Key, IReadOnlyList<string> Parameters)
{
    public static string Of(string key, params string[] parameters) =>
        System.Text.Json.JsonSerializer.Serialize(new OutboxTemplate(key, parameters), System.Text.Json.JsonSerializerOptions.Web);

    public static OutboxTemplate? Parse(string? json) =>
        json is null ? null : System.Text.Json.JsonSerializer.Deserialize<OutboxTemplate>(json, System.Text.Json.JsonSerializerOptions.Web);
}

/// <summary>A file uploaded with an outbox message (multipart), kept until the message is sent.</summary>
public sealed class OutboxAttachment
{
    public long Id { get; set; }
    public long OutboxMessageId { get; set; }
    public OutboxMessage? Message { get; set; }
    /// <summary>The request parameter the file goes into: "photo", "document".</summary>
    public required string Field { get; set; }
    public required string FileName { get; set; }
    public required byte[] Content { get; set; }
}

internal sealed class OutboxMessageMap : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> b)
    {
        b.ToTable("outbox");
        b.Property(m => m.Channel).HasMaxLength(16);
        b.Property(m => m.ChatId).HasMaxLength(64);
        b.Property(m => m.Method).HasMaxLength(64);
        b.Property(m => m.Status).HasConversion(s => OutboxStatusText.Of(s), s => OutboxStatusText.Parse(s)).HasMaxLength(16);
        b.Property(m => m.LastError).HasMaxLength(1000);
        // Every index that holds Status is rewritten when a row is claimed and when it is sent: only the sender's own
        // index does (the due rows by lane and id); retention and look-backs go by CreatedAt, which never changes.
        // The sender reads each queue's head in id order: without it every round scanned the whole backlog.
        b.HasIndex(m => new { m.Status, m.Urgent, m.Id });
        // With the global rate used up only the paid lane may go: its rows alone, so that look never walks a backlog of
        // everything else (it did, 42 ms a round on PostgreSQL with 16,000 replies waiting).
        b.HasIndex(m => new { m.Status, m.Id }, "IX_outbox_PaidLane").HasFilter("\"Lane\" = '" + OutboxLanes.PaidBroadcast + "'");
        b.HasIndex(m => new { m.Channel, m.ChatId, m.Id });
        b.HasIndex(m => m.InboundUpdateId);
        b.Property(m => m.LockedBy).HasMaxLength(64);
        b.HasIndex(m => m.CreatedAt);
        b.Property(m => m.Template).HasMaxLength(2000);
        b.Property(m => m.ExternalId).HasMaxLength(128);
        b.Property(m => m.DeliveryStatus).HasMaxLength(16);
        b.HasIndex(m => new { m.Channel, m.ExternalId });
        b.Property(m => m.Lane).HasMaxLength(16);
    }
}

internal sealed class OutboxAttachmentMap : IEntityTypeConfiguration<OutboxAttachment>
{
    public void Configure(EntityTypeBuilder<OutboxAttachment> b)
    {
        b.ToTable("outbox_attachments");
        b.Property(a => a.Field).HasMaxLength(32);
        b.Property(a => a.FileName).HasMaxLength(256);
        b.HasOne(a => a.Message).WithMany().HasForeignKey(a => a.OutboxMessageId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(a => a.OutboxMessageId);
    }
}
