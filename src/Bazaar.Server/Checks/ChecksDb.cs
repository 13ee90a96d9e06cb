using Bazaar.Server.Checks;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

public abstract partial class BazaarDb
{
    public DbSet<Tariff> Tariffs => Set<Tariff>();
    public DbSet<Check> Checks => Set<Check>();
    public DbSet<CheckAccount> CheckAccounts => Set<CheckAccount>();
}
