using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.Referrals;

/// <summary>
/// A referee tied to the user who invited them. The referee is the key, so a user is linked at most once,
/// whoever races to link them (the unique key refuses the second).
/// </summary>
public sealed class Referral
{
    public long RefereeId { get; set; }
    public long ReferrerId { get; set; }
    public DateTime LinkedAt { get; set; }
    /// <summary>When the referral started counting as active (Referrals:ActiveWhen): at linking, or at the first completed deposit.</summary>
    public DateTime? ActivatedAt { get; set; }
    /// <summary>"link" for the deep link, or the operator who linked them through the API.</summary>
    public required string LinkedBy { get; set; }
}

/// <summary>
/// A referrer's commission on one credited deposit. <see cref="SourceRef"/> is the completion's ledger reference
/// and unique, so a deposit pays its commission once however its completion arrives.
/// </summary>
public sealed class ReferralCommission
{
    public long Id { get; set; }
    public long ReferrerId { get; set; }
    public long RefereeId { get; set; }
    public long PaymentId { get; set; }
    public required string SourceRef { get; set; }
    /// <summary>Minor units of <see cref="Currency"/>.</summary>
    public long Amount { get; set; }
    public required string Currency { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>Taken back from the referrer when the deposit was refunded (less than <see cref="Amount"/> if they had spent it).</summary>
    public long ReversedAmount { get; set; }
    public DateTime? ReversedAt { get; set; }
    /// <summary>The refund attempt that reversed it, so an undone refund restores exactly that.</summary>
    public string? ReversalRef { get; set; }
}

/// <summary>A user's settings for the referral pages: whether /top may show their name.</summary>
public sealed class ReferralProfile
{
    public long UserId { get; set; }
    public bool ShowNameInTop { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>Something a user earned once: a tier reached or an achievement unlocked. The key makes it once-only.</summary>
public sealed class ReferralAward
{
    public long UserId { get; set; }
    /// <summary><see cref="AwardKinds"/>.</summary>
    public required string Kind { get; set; }
    public required string Code { get; set; }
    public DateTime AwardedAt { get; set; }
}

public static class AwardKinds
{
    public const string Tier = "tier";
    public const string Achievement = "achievement";
}

internal sealed class ReferralMaps : IEntityTypeConfiguration<Referral>, IEntityTypeConfiguration<ReferralCommission>,
    IEntityTypeConfiguration<ReferralProfile>, IEntityTypeConfiguration<ReferralAward>
{
    public void Configure(EntityTypeBuilder<Referral> b)
    {
        b.ToTable("referrals");
        b.HasKey(r => r.RefereeId);
        b.Property(r => r.RefereeId).ValueGeneratedNever();
        b.Property(r => r.LinkedBy).HasMaxLength(128);
        b.HasIndex(r => new { r.ReferrerId, r.LinkedAt });
        b.HasOne<Data.ChatUser>().WithMany().HasForeignKey(r => r.RefereeId);
        b.HasOne<Data.ChatUser>().WithMany().HasForeignKey(r => r.ReferrerId);
    }

    public void Configure(EntityTypeBuilder<ReferralCommission> b)
    {
        b.ToTable("referral_commissions");
        b.Property(c => c.SourceRef).HasMaxLength(160);
        b.Property(c => c.Currency).HasMaxLength(8);
        b.Property(c => c.ReversalRef).HasMaxLength(160);
        b.HasIndex(c => c.SourceRef).IsUnique();
        b.HasIndex(c => new { c.ReferrerId, c.CreatedAt });
        b.HasIndex(c => c.PaymentId);
        b.HasIndex(c => c.CreatedAt);
    }

    public void Configure(EntityTypeBuilder<ReferralProfile> b)
    {
        b.ToTable("referral_profiles");
        b.HasKey(p => p.UserId);
        b.Property(p => p.UserId).ValueGeneratedNever();
    }

    public void Configure(EntityTypeBuilder<ReferralAward> b)
    {
        b.ToTable("referral_awards");
        b.HasKey(a => new { a.UserId, a.Kind, a.Code });
        b.Property(a => a.Kind).HasMaxLength(16);
        b.Property(a => a.Code).HasMaxLength(48);
    }
}
