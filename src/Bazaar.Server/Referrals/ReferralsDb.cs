using Bazaar.Server.Referrals;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

public abstract partial class BazaarDb
{
    public DbSet<Referral> Referrals => Set<Referral>();
    public DbSet<ReferralCommission> ReferralCommissions => Set<ReferralCommission>();
    public DbSet<ReferralProfile> ReferralProfiles => Set<ReferralProfile>();
    public DbSet<ReferralAward> ReferralAwards => Set<ReferralAward>();
}
