using Bazaar.Server.Conversations;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

public abstract partial class BazaarDb
{
    public DbSet<InboundUpdate> InboundUpdates => Set<InboundUpdate>();
    public DbSet<ConversationState> ConversationStates => Set<ConversationState>();
    public DbSet<RateLimitWindow> RateLimits => Set<RateLimitWindow>();
}
