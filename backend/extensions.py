"""Extensions, created unbound and bound to an app by create_app()."""

from flask_socketio import SocketIO

socketio = SocketIO()
