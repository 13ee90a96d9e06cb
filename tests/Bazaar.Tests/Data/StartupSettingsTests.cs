using Bazaar.Server.Data;
using Microsoft.Extensions.Configuration;

namespace Bazaar.Tests.Data;

public sealed class StartupSettingsTests
{
    private static DatabaseOptions Read(params (string Key, string? Value)[] settings) =>
        DataModule.ReadOptions(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, s.Value))).Build());

    [Fact]
    public void Postgres_without_a_connection_string_stops_with_one_line_naming_the_key()
    {
        var e = Assert.Throws<StartupError>(() => Read(("Database:Provider", "Postgres")));
        Assert.Contains("ConnectionStrings:Bazaar is not set", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Theory]
    [InlineData("Postgres", "Host=127.0.0.1;Port=notaport")]
    [InlineData("Postgres", "this is not a connection string")]
    [InlineData("Postgres", "Username=postgres;Database=x")]
    [InlineData("Sqlite", "Data Sauce=bazaar.db")]
    public void A_malformed_connection_string_stops_with_one_line(string provider, string cs)
    {
        var e = Assert.Throws<StartupError>(() => Read(("Database:Provider", provider), ("ConnectionStrings:Bazaar", cs)));
        Assert.Contains("ConnectionStrings:Bazaar", e.Message);
    }

    [Fact]
    public void An_unknown_provider_is_named()
    {
        var e = Assert.Throws<StartupError>(() => Read(("Database:Provider", "Oracle")));
        Assert.Contains("'Oracle'", e.Message);
    }

    [Fact]
    public void Good_settings_are_read()
    {
        Assert.Equal(DatabaseProvider.Sqlite, Read().Provider);
        var pg = Read(("Database:Provider", "postgres"), ("ConnectionStrings:Bazaar", "Host=127.0.0.1;Username=u;Database=d"));
        Assert.Equal((DatabaseProvider.Postgres, "Host=127.0.0.1;Username=u;Database=d"), (pg.Provider, pg.ConnectionString));
    }

    [Fact]
    public void PostgreSQL_statements_are_prepared_with_custom_plans_unless_the_operator_chose()
    {
        var b = new Npgsql.NpgsqlConnectionStringBuilder(DataModule.PreparePostgres("Host=127.0.0.1;Username=u;Database=d;Options=-c statement_timeout=5000"));
        Assert.Equal((64, 2), (b.MaxAutoPrepare, b.AutoPrepareMinUsages));
        // A generic plan of the inbox's batch statements (unnest of arrays) took 15 times as long as a custom one.
        Assert.Equal("-c statement_timeout=5000 -c plan_cache_mode=force_custom_plan", b.Options);
        const string own = "Host=127.0.0.1;Username=u;Database=d;Max Auto Prepare=0";
        Assert.Equal(own, DataModule.PreparePostgres(own));
    }
}
