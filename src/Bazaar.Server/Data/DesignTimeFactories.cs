using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Bazaar.Server.Data;

// Used only by `dotnet ef migrations add`; the connection is never opened for SQLite, and for
// PostgreSQL the model alone is enough to script a migration.
internal sealed class SqliteDesignFactory : IDesignTimeDbContextFactory<SqliteBazaarDb>
{
    public SqliteBazaarDb CreateDbContext(string[] args)
    {
        var b = new DbContextOptionsBuilder<SqliteBazaarDb>();
        DataModule.ConfigureSqlite(b, "Data Source=design.db");
        return new SqliteBazaarDb(b.Options);
    }
}

internal sealed class PostgresDesignFactory : IDesignTimeDbContextFactory<PostgresBazaarDb>
{
    public PostgresBazaarDb CreateDbContext(string[] args)
    {
        var b = new DbContextOptionsBuilder<PostgresBazaarDb>();
        DataModule.ConfigurePostgres(b, "Host=127.0.0.1;Database=bazaar_design;Username=postgres");
        return new PostgresBazaarDb(b.Options);
    }
}
