using Bazaar.Server.Giveaways;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

public abstract partial class BazaarDb
{
    public DbSet<Giveaway> Giveaways => Set<Giveaway>();
    public DbSet<GiveawayChannel> GiveawayChannels => Set<GiveawayChannel>();
    public DbSet<GiveawayParticipant> GiveawayParticipants => Set<GiveawayParticipant>();
    public DbSet<GiveawayUserRecord> GiveawayUserRecords => Set<GiveawayUserRecord>();
    public DbSet<CaptchaSession> CaptchaSessions => Set<CaptchaSession>();
    public DbSet<GiveawayWinner> GiveawayWinners => Set<GiveawayWinner>();
    public DbSet<WinnerDraw> WinnerDraws => Set<WinnerDraw>();
}
