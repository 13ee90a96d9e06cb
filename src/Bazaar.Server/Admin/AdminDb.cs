using Bazaar.Server.Admin;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

public abstract partial class BazaarDb
{
    public DbSet<Operator> Operators => Set<Operator>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
}
