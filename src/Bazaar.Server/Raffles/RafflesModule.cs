using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;

namespace Bazaar.Server.Raffles;

public static class RafflesModule
{
    public static IServiceCollection AddRaffles(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<RafflesOptions>(config.GetSection("Raffles"));
        services.AddScoped<RaffleOrders>();
        services.AddScoped<RafflesBot>();
        services.AddScoped<Bazaar.Server.Payments.IPaymentFulfilment, RafflePaymentFulfilment>();
        services.AddScoped<IDemoSeed, RafflesDemoSeed>();
        services.AddJobHandler<RaffleExpiryJob>(RaffleExpiryJob.JobType);
        services.AddRecurringJob(RaffleExpiryJob.JobType, TimeSpan.FromMinutes(5), RaffleExpiryJob.JobType);
        services.AddBotRoutes(RafflesBot.Register);
        return services;
    }
}
