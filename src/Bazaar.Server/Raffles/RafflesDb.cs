using Bazaar.Server.Raffles;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

public abstract partial class BazaarDb
{
    public DbSet<Raffle> Raffles => Set<Raffle>();
    public DbSet<RaffleTicket> RaffleTickets => Set<RaffleTicket>();
    public DbSet<RaffleOrder> RaffleOrders => Set<RaffleOrder>();
}
