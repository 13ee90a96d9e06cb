using Bazaar.Server.Channels;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

public abstract partial class BazaarDb
{
    public DbSet<OutboxAttachment> OutboxAttachments => Set<OutboxAttachment>();
}
