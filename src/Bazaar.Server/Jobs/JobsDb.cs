using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

public abstract partial class BazaarDb
{
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<RecurringSchedule> RecurringSchedules => Set<RecurringSchedule>();
}
