using Bazaar.Server.Channels.WhatsApp;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

public abstract partial class BazaarDb
{
    public DbSet<WhatsAppMessageId> WhatsAppMessageIds => Set<WhatsAppMessageId>();
}
