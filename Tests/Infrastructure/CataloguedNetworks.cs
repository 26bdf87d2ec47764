using System.Runtime.CompilerServices;
using NetGen.Networks;

namespace NetGen.Tests.Infrastructure;

/// <summary>
/// Registers NetGen's own networks before any test runs. A program's networks register when it
/// starts; these live in a library (netgen's assembly) that a test may reach first by name, through
/// the command line, before anything has touched one of its types.
/// </summary>
internal static class CataloguedNetworks
{
#pragma warning disable CA2255 // the test assembly is the program here: its networks must be there before the first test
    [ModuleInitializer]
    internal static void Register() => NetworkCatalog.Load(typeof(AlexNet).Assembly);
#pragma warning restore CA2255
}
