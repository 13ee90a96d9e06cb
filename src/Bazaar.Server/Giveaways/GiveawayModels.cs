using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.Giveaways;

public enum GiveawayStatus
{
    /// <summary>Being prepared; nobody can join yet.</summary>
    Draft,
    /// <summary>Open for joining between StartsAt and EndsAt (or until the participant limit).</summary>
    Published,
    /// <summary>Winners drawn, seed revealed.</summary>
    Drawn,
    Cancelled,
}

/// <summary>A giveaway an operator runs: the prize, the rules to take part, and the committed draw seed.</summary>
public sealed class Giveaway
{
    public long Id { get; set; }
    public required string Title { get; set; }
    public string Description { get; set; } = "";
    public required string Prize { get; set; }
    /// <summary>A Telegram file id or an https URL.</summary>
    public string? PhotoUrl { get; set; }
    public int WinnerCount { get; set; } = 1;
    public DateTime StartsAt { get; set; }
    public DateTime EndsAt { get; set; }
    /// <summary>End early once this many have joined (null: only at EndsAt).</summary>
    public int? EndAfterParticipants { get; set; }
    public GiveawayStatus Status { get; set; } = GiveawayStatus.Draft;
    /// <summary>hex(SHA-256(seed)), published from creation on.</summary>
    public required string Commitment { get; set; }
    /// <summary>The 32-byte seed in hex: secret until the draw, then published.</summary>
    public required string SeedHex { get; set; }
    /// <summary>A public beacon named in advance, e.g. "bitcoin:block:900000"; its value is fetched at the draw.</summary>
    public string? BeaconSource { get; set; }
    public string? Beacon { get; set; }
    /// <summary>Non-winners get a results message too.</summary>
    public bool NotifyNonWinners { get; set; }
    public int ParticipantCount { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? DrawnAt { get; set; }

    // The post in a channel
    public string? PostChannel { get; set; }
    public string? PostChatId { get; set; }
    public int? PostMessageId { get; set; }
    /// <summary>The outbox row that sends the post; its result gives PostMessageId.</summary>
    public long? PostOutboxId { get; set; }
    public Channels.OutboxMessage? PostMessage { get; set; }
    /// <summary>The participant count the post shows (edited at most every Giveaways:PostEditSeconds).</summary>
    public int PostShownCount { get; set; }
    public DateTime? PostEditedAt { get; set; }

    public List<GiveawayChannel> RequiredChannels { get; set; } = [];

    public bool IsOpenAt(DateTime now) => Status == GiveawayStatus.Published && now >= StartsAt && now < EndsAt &&
        (EndAfterParticipants is null || ParticipantCount < EndAfterParticipants);
}

/// <summary>A channel or group a participant must be subscribed to (the bot is an admin there).</summary>
public sealed class GiveawayChannel
{
    public long Id { get; set; }
    public long GiveawayId { get; set; }
    /// <summary>The chat id (-100…) or @username for getChatMember.</summary>
    public required string ChatId { get; set; }
    public required string Title { get; set; }
    /// <summary>Where a user subscribes (t.me/… link).</summary>
    public string? Link { get; set; }
}

public sealed class GiveawayParticipant
{
    /// <summary>The participant number: what the published draw lists, so nobody's account id is published.</summary>
    public long Id { get; set; }
    public long GiveawayId { get; set; }
    public long UserId { get; set; }
    public DateTime JoinedAt { get; set; }
    public DateTime? SubscriptionCheckedAt { get; set; }
}

/// <summary>Per user, across every giveaway: the captcha passed once, and participation totals.</summary>
public sealed class GiveawayUserRecord
{
    public long UserId { get; set; }
    public DateTime? CaptchaCompletedAt { get; set; }
    public DateTime? FirstParticipationAt { get; set; }
    public int TotalParticipations { get; set; }
    public int TotalWins { get; set; }
    public DateTime? LastSubscriptionCheckAt { get; set; }
}

/// <summary>One captcha question: 10 minutes, 3 attempts.</summary>
public sealed class CaptchaSession
{
    public required string Id { get; set; }
    public long UserId { get; set; }
    /// <summary>The giveaway the user was joining, joined once the captcha is passed.</summary>
    public long? GiveawayId { get; set; }
    public required string Question { get; set; }
    public required string Answer { get; set; }
    public int Attempts { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? PassedAt { get; set; }
    /// <summary>Set by the last wrong answer: a new question is given after the cool-down.</summary>
    public DateTime? FailedAt { get; set; }
}

public enum WinnerDelivery
{
    Pending,
    Delivered,
    Failed,
    /// <summary>The winner blocked the bot: an operator must reach them another way.</summary>
    Blocked,
}

public sealed class GiveawayWinner
{
    public long Id { get; set; }
    public long GiveawayId { get; set; }
    public long ParticipantId { get; set; }
    public long UserId { get; set; }
    /// <summary>The position in the draw's shuffle.</summary>
    public int Position { get; set; }
    public DateTime SelectedAt { get; set; }
    public WinnerDelivery Delivery { get; set; } = WinnerDelivery.Pending;
    public int DeliveryAttempts { get; set; }
    public string? DeliveryError { get; set; }
    public DateTime? DeliveryUpdatedAt { get; set; }
    public long? OutboxMessageId { get; set; }
}

/// <summary>The audit of a draw: everything needed to recompute it, and what happened.</summary>
public sealed class WinnerDraw
{
    public long Id { get; set; }
    public long GiveawayId { get; set; }
    public int RequestedCount { get; set; }
    public int SelectedCount { get; set; }
    public required string Method { get; set; }
    public int ParticipantCount { get; set; }
    public required string ParticipantListHash { get; set; }
    /// <summary>JSON array of the eligible participant ids.</summary>
    public required string EligibleIds { get; set; }
    /// <summary>JSON array of the winning participant ids, in draw order.</summary>
    public required string Winners { get; set; }
    /// <summary>JSON array of re-rolls {position, participant_id, reason}.</summary>
    public required string ReRolls { get; set; }
    public DateTime RequestedAt { get; set; }
    public DateTime CompletedAt { get; set; }
}

internal sealed class GiveawayMaps : IEntityTypeConfiguration<Giveaway>, IEntityTypeConfiguration<GiveawayChannel>,
    IEntityTypeConfiguration<GiveawayParticipant>, IEntityTypeConfiguration<GiveawayUserRecord>, IEntityTypeConfiguration<CaptchaSession>,
    IEntityTypeConfiguration<GiveawayWinner>, IEntityTypeConfiguration<WinnerDraw>
{
    public void Configure(EntityTypeBuilder<Giveaway> b)
    {
        b.ToTable("giveaways");
        b.Property(g => g.Title).HasMaxLength(200);
        b.Property(g => g.Description).HasMaxLength(4000);
        b.Property(g => g.Prize).HasMaxLength(1000);
        b.Property(g => g.PhotoUrl).HasMaxLength(500);
        b.Property(g => g.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(g => g.Commitment).HasMaxLength(64);
        b.Property(g => g.SeedHex).HasMaxLength(64);
        b.Property(g => g.BeaconSource).HasMaxLength(100);
        b.Property(g => g.Beacon).HasMaxLength(200);
        b.Property(g => g.PostChannel).HasMaxLength(16);
        b.Property(g => g.PostChatId).HasMaxLength(64);
        b.HasMany(g => g.RequiredChannels).WithOne().HasForeignKey(c => c.GiveawayId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(g => new { g.Status, g.EndsAt });
        b.HasOne(g => g.PostMessage).WithMany().HasForeignKey(g => g.PostOutboxId).OnDelete(DeleteBehavior.SetNull);
    }

    public void Configure(EntityTypeBuilder<GiveawayChannel> b)
    {
        b.ToTable("giveaway_channels");
        b.Property(c => c.ChatId).HasMaxLength(64);
        b.Property(c => c.Title).HasMaxLength(200);
        b.Property(c => c.Link).HasMaxLength(300);
    }

    public void Configure(EntityTypeBuilder<GiveawayParticipant> b)
    {
        b.ToTable("giveaway_participants");
        b.HasIndex(p => new { p.GiveawayId, p.UserId }).IsUnique();
        b.HasIndex(p => p.UserId);
    }

    public void Configure(EntityTypeBuilder<GiveawayUserRecord> b)
    {
        b.ToTable("giveaway_user_records");
        b.HasKey(r => r.UserId);
        b.Property(r => r.UserId).ValueGeneratedNever();
    }

    public void Configure(EntityTypeBuilder<CaptchaSession> b)
    {
        b.ToTable("giveaway_captcha_sessions");
        b.Property(s => s.Id).HasMaxLength(32);
        b.Property(s => s.Question).HasMaxLength(100);
        b.Property(s => s.Answer).HasMaxLength(32);
        b.HasIndex(s => new { s.UserId, s.CreatedAt });
    }

    public void Configure(EntityTypeBuilder<GiveawayWinner> b)
    {
        b.ToTable("giveaway_winners");
        b.Property(w => w.Delivery).HasConversion<string>().HasMaxLength(16);
        b.Property(w => w.DeliveryError).HasMaxLength(1000);
        b.HasIndex(w => new { w.GiveawayId, w.UserId }).IsUnique();
        b.HasIndex(w => w.OutboxMessageId);
    }

    public void Configure(EntityTypeBuilder<WinnerDraw> b)
    {
        b.ToTable("giveaway_draws");
        b.Property(d => d.Method).HasMaxLength(64);
        b.Property(d => d.ParticipantListHash).HasMaxLength(64);
        b.HasIndex(d => d.GiveawayId).IsUnique();
    }
}
