// Fuzz seed 401710: clean, 3 classes over 2 columns, sealed partial class
// Found: the generator threw: ArgumentOutOfRangeException: Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')
// ==== file: Net.cs
using NetGen;
[Network(Channels = 3, Height = 13, Width = 13, Columns = 2)]
public sealed partial class Fuzzed
{
    [Dense(3), Softmax] public partial Layer Fc1 { get; }
}
