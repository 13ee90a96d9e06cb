using Bazaar.Server.Payments;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

public abstract partial class BazaarDb
{
    public DbSet<Payment> Payments => Set<Payment>();
    public DbSet<PaymentEvent> PaymentEvents => Set<PaymentEvent>();
    public DbSet<CryptoDeposit> CryptoDeposits => Set<CryptoDeposit>();
    public DbSet<CryptoTransfer> CryptoTransfers => Set<CryptoTransfer>();
    public DbSet<CryptoAddressCounter> CryptoAddressCounters => Set<CryptoAddressCounter>();
}
