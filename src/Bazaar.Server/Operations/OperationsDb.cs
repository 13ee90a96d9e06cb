using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.Data
{
    /// <summary>The data-protection key ring lives in the database, so every instance reads sign-in cookies issued by any other.</summary>
    public abstract partial class BazaarDb : IDataProtectionKeyContext
    {
        public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    }
}

namespace Bazaar.Server.Operations
{
    internal sealed class DataProtectionKeyMap : IEntityTypeConfiguration<DataProtectionKey>
    {
        public void Configure(EntityTypeBuilder<DataProtectionKey> b)
        {
            b.ToTable("data_protection_keys");
            b.HasKey(k => k.Id);
            b.Property(k => k.FriendlyName).HasMaxLength(200);
        }
    }
}
