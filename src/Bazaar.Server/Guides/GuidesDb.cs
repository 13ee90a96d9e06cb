using Bazaar.Server.Guides;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

public abstract partial class BazaarDb
{
    public DbSet<Guide> Guides => Set<Guide>();
}
