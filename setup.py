"""Installs jazzcnn and beam_pipelines, e.g. on Beam workers (--setup_file)."""

import setuptools

setuptools.setup(
    name='jazzcnn',
    version='0.1.0',
    description='Learning the style of early-jazz recordings: records builder '
    'and era classifier.',
    packages=setuptools.find_packages(include=['jazzcnn', 'jazzcnn.*',
                                               'beam_pipelines',
                                               'beam_pipelines.*']),
    package_data={'beam_pipelines': ['data/*.csv', 'data/*.LICENSE']},
    python_requires='>=3.10,<3.13',
    # What workers need beyond Beam itself; versions as in requirements.txt.
    install_requires=[
        'tensorflow==2.20.0',
        'keras==3.13.2',
        'kapre==0.4.1',
        'numpy>=1.26',
        'absl-py>=2.1',
        'soundfile==0.14.0',
        'soxr==1.1.0',
    ],
)
