using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.Data;

public static class ChatChannel
{
    public const string Telegram = "telegram";
    public const string WhatsApp = "whatsapp";
    public const string Sandbox = "sandbox";
    /// <summary>The sandbox page playing a WhatsApp contact: WhatsApp's conversation and constraints, delivered to the page.</summary>
    public const string SandboxWhatsApp = "sandbox_whatsapp";

    /// <summary>WhatsApp's rules apply (no number grid, no Stars, reply buttons ≤ 3, lists ≤ 10), real or in the sandbox.</summary>
    public static bool IsWhatsApp(string channel) => channel is WhatsApp or SandboxWhatsApp;
}

/// <summary>A customer as seen through one chat channel (a Telegram account or a WhatsApp number).</summary>
public sealed class ChatUser
{
    public long Id { get; set; }
    public required string Channel { get; set; }
    /// <summary>The channel's own id: Telegram user id, or the WhatsApp phone number (wa_id).</summary>
    public required string ExternalId { get; set; }
    public string? Username { get; set; }
    public string? FirstName { get; set; }
    public string? LastName { get; set; }
    /// <summary>Two-letter language code choosing the bot texts ("en", "ru").</summary>
    public string LanguageCode { get; set; } = "en";
    public DateTime CreatedAt { get; set; }
    public DateTime LastSeenAt { get; set; }
    /// <summary>The user blocked the bot (Telegram answered 403), so nothing more is sent.</summary>
    public bool IsBlocked { get; set; }
    public DateTime? BlockedAt { get; set; }

    public string DisplayName =>
        string.Join(' ', new[] { FirstName, LastName }.Where(s => !string.IsNullOrWhiteSpace(s))) is { Length: > 0 } n
            ? n : Username ?? ExternalId;
}

internal sealed class ChatUserMap : IEntityTypeConfiguration<ChatUser>
{
    public void Configure(EntityTypeBuilder<ChatUser> b)
    {
        b.ToTable("users");
        b.HasKey(u => u.Id);
        b.Property(u => u.Channel).HasMaxLength(16);
        b.Property(u => u.ExternalId).HasMaxLength(64);
        b.Property(u => u.Username).HasMaxLength(64);
        b.Property(u => u.FirstName).HasMaxLength(128);
        b.Property(u => u.LastName).HasMaxLength(128);
        b.Property(u => u.LanguageCode).HasMaxLength(8);
        b.HasIndex(u => new { u.Channel, u.ExternalId }).IsUnique();
        b.Ignore(u => u.DisplayName);
    }
}
