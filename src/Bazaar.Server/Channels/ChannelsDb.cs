using Bazaar.Server.Channels;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

public abstract partial class BazaarDb
{
    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();
}
