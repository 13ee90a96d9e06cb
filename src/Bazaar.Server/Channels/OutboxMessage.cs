using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.Channels;

public enum OutboxStatus
{
    /// <summary>Waiting for the sender (possibly until <see cref="OutboxMessage.NextAttemptAt"/>).</summary>
    Pending,
    Sent,
    /// <summary>Gave up after the retry bound, or the request itself was rejected (400).</summary>
    Failed,
    /// <summary>Not sent because the recipient blocked the bot.</summary>
    Dropped,
}

/// <summary>Where a message goes: the channel, the chat there, and the chat user when known.</summary>
public sealed record ChatTarget(string Channel, string ChatId, long? UserId = null);

/// <summary>
/// One Bot API call waiting to be made. Handlers never call the Bot API themselves: they add an
/// outbox row in the same transaction as their state change, and the sender delivers it later
/// within the channel's flood limits.
/// </summary>
public sealed class OutboxMessage
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
    public DateTime NextAttemptAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? SentAt { get; set; }
    public string? LastError { get; set; }
    /// <summary>The inbound update that caused this message, when there was one (tracing, sandbox replies).</summary>
    public long? InboundUpdateId { get; set; }
    /// <summary>What the Bot API answered, e.g. the sent Message as JSON.</summary>
    public string? Result { get; set; }
}

internal sealed class OutboxMessageMap : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> b)
    {
        b.ToTable("outbox");
        b.Property(m => m.Channel).HasMaxLength(16);
        b.Property(m => m.ChatId).HasMaxLength(64);
        b.Property(m => m.Method).HasMaxLength(64);
        b.Property(m => m.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(m => m.LastError).HasMaxLength(1000);
        b.HasIndex(m => new { m.Status, m.NextAttemptAt });
        b.HasIndex(m => new { m.Channel, m.ChatId, m.Id });
        b.HasIndex(m => m.InboundUpdateId);
    }
}
