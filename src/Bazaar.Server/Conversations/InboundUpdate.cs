using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.Conversations;

public enum UpdateStatus { Received, Processing, Processed, Ignored, Failed, RateLimited }

/// <summary>
/// One inbound update: the inbox the processor works from and the event log the admin reads.
/// (Channel, BotId, UpdateId) is unique, so a duplicate delivery has its effect once.
/// </summary>
public sealed class InboundUpdate : IHasId
{
    public long Id { get; set; }
    public required string Channel { get; set; }
    public required string BotId { get; set; }
    public long UpdateId { get; set; }
    /// <summary>message, edited_message, callback_query, pre_checkout_query, my_chat_member, ...</summary>
    public required string Kind { get; set; }
    /// <summary>The sender's id in the channel.</summary>
    public string? UserId { get; set; }
    /// <summary>The chat the update belongs to; updates of one chat are handled one at a time, in order.</summary>
    public string? ChatId { get; set; }
    public string? Command { get; set; }
    public UpdateStatus Status { get; set; }
    public int? HandlerMs { get; set; }
    public string? Error { get; set; }
    public int Attempts { get; set; }
    /// <summary>While processing: until when the claim holds; after that another worker or process may take it again.</summary>
    public DateTime? LeaseUntil { get; set; }
    public DateTime ReceivedAt { get; set; }
    public DateTime? ProcessedAt { get; set; }
    /// <summary>The update exactly as it arrived (JSON).</summary>
    public required string Payload { get; set; }
}

/// <summary>The stored spelling of <see cref="UpdateStatus"/>, shared by EF and the raw SQL on the hot paths.</summary>
public static class UpdateStatusText
{
    public const string Received = "received";
    public const string Processing = "processing";
    public const string Processed = "processed";
    public const string Ignored = "ignored";
    public const string Failed = "failed";
    public const string RateLimited = "rate_limited";

    public static string Of(UpdateStatus s) => s switch
    {
        UpdateStatus.Received => Received,
        UpdateStatus.Processing => Processing,
        UpdateStatus.Processed => Processed,
        UpdateStatus.Ignored => Ignored,
        UpdateStatus.Failed => Failed,
        UpdateStatus.RateLimited => RateLimited,
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static UpdateStatus Parse(string s) => s switch
    {
        Received => UpdateStatus.Received,
        Processing => UpdateStatus.Processing,
        Processed => UpdateStatus.Processed,
        Ignored => UpdateStatus.Ignored,
        Failed => UpdateStatus.Failed,
        RateLimited => UpdateStatus.RateLimited,
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };
}

internal sealed class InboundUpdateMap : IEntityTypeConfiguration<InboundUpdate>
{
    public void Configure(EntityTypeBuilder<InboundUpdate> b)
    {
        b.ToTable("inbound_updates");
        b.Property(u => u.Channel).HasMaxLength(16);
        b.Property(u => u.BotId).HasMaxLength(32);
        b.Property(u => u.Kind).HasMaxLength(32);
        b.Property(u => u.UserId).HasMaxLength(64);
        b.Property(u => u.ChatId).HasMaxLength(64);
        b.Property(u => u.Command).HasMaxLength(64);
        b.Property(u => u.Status).HasMaxLength(16)
            .HasConversion(s => UpdateStatusText.Of(s), s => UpdateStatusText.Parse(s));
        b.Property(u => u.Error).HasMaxLength(2000);
        b.HasIndex(u => new { u.Channel, u.BotId, u.UpdateId }).IsUnique();
        b.HasIndex(u => new { u.Status, u.Id });
        // Only open updates: the claim's per-chat ordering check never reads a chat's history.
        b.HasIndex(u => new { u.Channel, u.BotId, u.ChatId, u.UpdateId })
            .HasFilter($"\"Status\" IN ('{UpdateStatusText.Received}', '{UpdateStatusText.Processing}')").HasDatabaseName("IX_inbound_updates_open_by_chat");
        b.HasIndex(u => new { u.ChatId, u.Id });
        b.HasIndex(u => u.ReceivedAt);
    }
}

/// <summary>Where a chat is in a multi-step conversation (e.g. "wallet.await_proof"), with the step's data.</summary>
public sealed class ConversationState
{
    public required string Channel { get; set; }
    public required string ChatId { get; set; }
    public required string Step { get; set; }
    /// <summary>The step's data as JSON, when it has any.</summary>
    public string? Data { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
}

internal sealed class ConversationStateMap : IEntityTypeConfiguration<ConversationState>
{
    public void Configure(EntityTypeBuilder<ConversationState> b)
    {
        b.ToTable("conversation_states");
        b.HasKey(s => new { s.Channel, s.ChatId });
        b.Property(s => s.Channel).HasMaxLength(16);
        b.Property(s => s.ChatId).HasMaxLength(64);
        b.Property(s => s.Step).HasMaxLength(128);
        b.HasIndex(s => s.ExpiresAt);
    }
}

/// <summary>
/// A user's current rate-limit window. Updated with one atomic upsert in the handler's transaction,
/// so it is right under concurrency and survives restarts.
/// </summary>
public sealed class RateLimitWindow
{
    public required string Channel { get; set; }
    public required string UserId { get; set; }
    /// <summary>Unix milliseconds when the window opened.</summary>
    public long WindowStart { get; set; }
    public int Count { get; set; }
}

internal sealed class RateLimitWindowMap : IEntityTypeConfiguration<RateLimitWindow>
{
    public void Configure(EntityTypeBuilder<RateLimitWindow> b)
    {
        b.ToTable("rate_limits");
        b.HasKey(r => new { r.Channel, r.UserId });
        b.Property(r => r.Channel).HasMaxLength(16);
        b.Property(r => r.UserId).HasMaxLength(64);
    }
}
