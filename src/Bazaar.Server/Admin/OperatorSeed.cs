using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Admin;

/// <summary>Creates the first operator from Admin:Username and Admin:Password when there is none.</summary>
internal sealed class OperatorSeed(IOptions<AdminOptions> options, TimeProvider clock, ILogger<OperatorSeed> log) : IStartupSeed
{
    public async Task SeedAsync(BazaarDb db, CancellationToken ct)
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.Username) || string.IsNullOrEmpty(o.Password)) return;
        if (await db.Operators.AnyAsync(ct)) return;
        db.Operators.Add(new Operator
        {
            Username = o.Username.Trim(),
            PasswordHash = PasswordHash.Create(o.Password),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            Role = OperatorRoles.Owner,
        });
        try
        {
            await db.SaveChangesAsync(ct);
            log.LogInformation("Created the first operator account '{Username}'", o.Username);
        }
        catch (DbUpdateException)
        {
            // Another process created it at the same moment; one account is what we want.
            db.ChangeTracker.Clear();
        }
    }
}
