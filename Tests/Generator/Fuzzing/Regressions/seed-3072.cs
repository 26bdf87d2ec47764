// Fuzz seed 3072: random shapes, Dense(4): 4 -> 5, sealed partial class, Height twice
// Found: the generator threw: ArgumentOutOfRangeException: Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')
// ==== file: Net.cs
using NetGen;
namespace Fuzz;
[Network(Channels = 8, Height = 7, Height = 7, Width = 7, Columns = 244)]
public sealed partial class Fuzzed
{
    [Dense(5)] public partial Layer L0 { get; }
}
