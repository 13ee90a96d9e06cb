namespace Bazaar.Server.Referrals;

/// <summary>When a referral counts as active for milestones.</summary>
public enum ActiveWhen
{
    /// <summary>As soon as the referee started the bot through the link.</summary>
    Started,
    /// <summary>When the referee's first deposit completes.</summary>
    FirstDeposit,
}

/// <summary>The <c>Referrals</c> section.</summary>
public sealed class ReferralOptions
{
    /// <summary>Percent of each completed deposit credited to the referrer (may have decimals: 2.5).</summary>
    public decimal CommissionPercent { get; set; } = 3;
    /// <summary>Every this many active referrals earn <see cref="MilestoneReward"/>.</summary>
    public int MilestoneCount { get; set; } = 10;
    /// <summary>Check credits per milestone.</summary>
    public int MilestoneReward { get; set; } = 1;
    public ActiveWhen ActiveWhen { get; set; } = ActiveWhen.Started;
    /// <summary>
    /// Lifetime earnings (major units of the shop currency) at which each tier starts. Names must be among
    /// <see cref="ReferralTiers.Badges"/>; a tier left out keeps its default.
    /// </summary>
    public Dictionary<string, decimal> Tiers { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Rows in /top.</summary>
    public int TopSize { get; set; } = 10;
}
