// Fuzz seed 20261198: clean, nested, training defaults
// Found: generated code does not compile: CS0103 The name 'NaNf' does not exist in the current context at NetGen.Generator/NetGen.Generator.NetworkGenerator/Fuzz.Outer.Fuzzed.g.cs: (94,97)-(94,101)
// ==== file: Net.cs
using NetGen;
namespace Fuzz;
public partial class Outer
{
[Network(Channels = 1, Height = 1, Width = 1)] public sealed partial class Inner { [Dense(2)] public partial Layer Fc { get; } }
[Network(Channels = 1, Height = 4, Width = 4)]
[TrainingDefaults(Epochs = -3, LearningRate = float.NaN, Patience = 2)]
public sealed partial class Fuzzed
{
    [Conv(2, Kernel = 2)][Relu] public partial Layer Conv1 { get; }
    [Conv(2, Kernel = 2, Groups = 2)][Relu] public partial Layer Conv2 { get; }
    [Conv(6, Kernel = 2, Stride = 2, Groups = 2)][Relu] public partial Layer Conv3 { get; }
}
}
