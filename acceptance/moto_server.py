"""Starts moto's server with one correction for what the acceptance suite
needs: moto 5.2 knows RDS option groups for MySQL only up to major version
8.0, while RDS accepts them for 8.4, the only MySQL major phi_database
approves. Every other behaviour is moto's own. Arguments are moto_server's.
"""

from moto.rds import models

_create_option_group = models.RDSBackend.create_option_group


def create_option_group(self, option_group_kwargs):
    kwargs = dict(option_group_kwargs)
    if kwargs.get("engine_name") == "mysql" and kwargs.get("major_engine_version") == "8.4":
        kwargs["major_engine_version"] = "8.0"
        group = _create_option_group(self, kwargs)
        group.major_engine_version = "8.4"
        return group
    return _create_option_group(self, kwargs)


models.RDSBackend.create_option_group = create_option_group

if __name__ == "__main__":
    from moto.server import main

    main()
