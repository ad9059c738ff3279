using System.Data.Common;

namespace Testbed.Server.Storage;

/// <summary>
/// <c>AddWithValue</c> for any ADO.NET provider: <see cref="DbParameterCollection"/> lacks it, and the stores are
/// written once for both backends (<see cref="Database"/>). Names carry their <c>@</c>, which Microsoft.Data.Sqlite and
/// Npgsql both bind.
/// </summary>
internal static class DbCommandParameters
{
    /// <summary>Adds the parameter <paramref name="name"/> with <paramref name="value"/>; null is SQL NULL.</summary>
    public static void AddParameter(this DbCommand command, string name, object? value)
    {
        DbParameter parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }
}
