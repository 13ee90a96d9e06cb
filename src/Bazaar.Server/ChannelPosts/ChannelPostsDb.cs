using Bazaar.Server.ChannelPosts;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

public abstract partial class BazaarDb
{
    public DbSet<ChannelPost> ChannelPosts => Set<ChannelPost>();
}
