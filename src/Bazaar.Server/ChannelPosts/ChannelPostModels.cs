using System.Text.Json;
using Bazaar.Server.Broadcasts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.ChannelPosts;

/// <summary>
/// Scheduled (waiting for its time), Sending (handed to the outbox, Telegram has not answered yet), Posted (its message
/// id is known, so it can be edited, pinned or deleted), Failed (Telegram refused it: see Error), Deleted.
/// Stored as these names.
/// </summary>
public enum ChannelPostStatus { Scheduled, Sending, Posted, Failed, Deleted }

/// <summary>
/// A post to a channel (or group) the bot administers: Telegram HTML text (a photo's caption when <see cref="Photo"/> is
/// set), optional URL buttons, published at <see cref="PostAt"/> by one <c>channel_posts.publish</c> job, optionally pinned.
/// </summary>
public sealed class ChannelPost
{
    public long Id { get; set; }
    /// <summary>The channel: its numeric id (-100…) or @username.</summary>
    public required string ChatId { get; set; }
    public required string Text { get; set; }
    /// <summary>A file_id or http(s) URL; fixed once posted.</summary>
    public string? Photo { get; set; }
    /// <summary>Rows of <see cref="BroadcastButton"/> as JSON.</summary>
    public string? Buttons { get; set; }
    public bool Pin { get; set; }
    public DateTime PostAt { get; set; }
    public ChannelPostStatus Status { get; set; } = ChannelPostStatus.Scheduled;
    /// <summary>Bumped when the time changes before posting: only the publish job carrying the current version posts.</summary>
    public int Version { get; set; } = 1;
    /// <summary>The outbox row of the send, whose result gives <see cref="MessageId"/>.</summary>
    public long? OutboxMessageId { get; set; }
    /// <summary>Telegram's message id in the channel, once posted.</summary>
    public int? MessageId { get; set; }
    public string? Error { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? PostedAt { get; set; }
    public DateTime? DeletedAt { get; set; }

    public IReadOnlyList<IReadOnlyList<BroadcastButton>> ButtonRows() =>
        Buttons is null ? [] : JsonSerializer.Deserialize<List<List<BroadcastButton>>>(Buttons, JsonSerializerOptions.Web) ?? [];
}

internal sealed class ChannelPostMap : IEntityTypeConfiguration<ChannelPost>
{
    public void Configure(EntityTypeBuilder<ChannelPost> b)
    {
        b.ToTable("channel_posts");
        b.Property(x => x.ChatId).HasMaxLength(64);
        b.Property(x => x.Text).HasMaxLength(4096);
        b.Property(x => x.Photo).HasMaxLength(1024);
        b.Property(x => x.Buttons).HasMaxLength(8000);
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Error).HasMaxLength(1000);
        b.Property(x => x.CreatedBy).HasMaxLength(128);
        b.HasIndex(x => new { x.Status, x.PostAt });
    }
}
