"""jazzcnn: learning the style of early-jazz recordings.

Importing the package registers the model's custom layers (and kapre's), so
`keras.saving.load_model` opens exported `.keras` files after `import jazzcnn`.
"""

import kapre  # pylint: disable=unused-import  # Registers kapre's layers.

from jazzcnn import layers  # pylint: disable=unused-import
